using Npgsql;
using ViewingHistory.Core.History;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Store.Postgres;

public sealed partial class PostgresHistoryStore
{
    public Task ExportAsync(string memberId, IMemberExportSink sink, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        ArgumentNullException.ThrowIfNull(sink);
        return GuardAsync(
            async () =>
            {
                // REPEATABLE READ: every statement of the transaction reads the snapshot of its first one.
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
                long? memberMark = null;
                var titleMarks = new Dictionary<string, long>(StringComparer.Ordinal);
                var hides = new List<HideMark>();
                await using (var command = new NpgsqlCommand("""
                    SELECT NULL::text, at FROM member_marks WHERE member_id = $1
                    UNION ALL
                    (SELECT title_id, at FROM title_marks WHERE member_id = $1 ORDER BY title_id)
                    """, connection, tx))
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = memberId });
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        var title = reader.IsDBNull(0) ? null : reader.GetString(0);
                        var at = reader.GetInt64(1);
                        hides.Add(new HideMark(memberId, title, at));
                        if (title is null)
                        {
                            memberMark = at;
                        }
                        else
                        {
                            titleMarks[title] = at;
                        }
                    }
                }

                await sink.BeginAsync(hides, await ReadErasureAsync(connection, tx, memberId, cancellationToken), cancellationToken);
                await using (var command = new NpgsqlCommand(
                    $"SELECT {ItemPageColumns} FROM items WHERE member_id = $1 ORDER BY last_watched_at DESC, title_id", connection, tx))
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = memberId });
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        await sink.ItemAsync(new HistoryItem(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4)), cancellationToken);
                    }
                }

                await using (var command = new NpgsqlCommand($"""
                    SELECT {SessionColumns} FROM sessions s WHERE s.member_id = $1 ORDER BY s.title_id, s.session_id
                    """, connection, tx))
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = memberId });
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        var session = new SessionState(
                            reader.GetString(2), reader.GetInt64(3), reader.GetInt32(4), reader.GetInt64(5), reader.GetString(6), reader.GetInt64(7), reader.GetInt64(8),
                            reader.IsDBNull(9) ? null : reader.GetInt64(9), reader.IsDBNull(10) ? null : reader.GetString(10));
                        await sink.SessionAsync(ExportedSession.From(reader.GetString(1), session, memberMark, titleMarks), cancellationToken);
                    }
                }

                await tx.CommitAsync(cancellationToken);
                return 0;
            },
            cancellationToken);
    }
}
