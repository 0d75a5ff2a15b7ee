using Microsoft.Data.Sqlite;
using ViewingHistory.Core.History;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Store.Sqlite;

public sealed partial class SqliteHistoryStore
{
    public async Task ExportAsync(string memberId, IMemberExportSink sink, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        ArgumentNullException.ThrowIfNull(sink);
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            // One read transaction: in WAL mode its first read fixes the snapshot every later read of it sees, so the
            // marks, items and sessions are one consistent state while the writer goes on beside it.
            using var connection = OpenReader();
            using var tx = connection.BeginTransaction(deferred: true);
            long? memberMark = null;
            var titleMarks = new Dictionary<string, long>(StringComparer.Ordinal);
            var hides = new List<HideMark>();
            using (var command = Command(connection, tx, "SELECT at FROM member_marks WHERE member_id = $m", ("$m", memberId)))
            {
                if (command.ExecuteScalar() is long at)
                {
                    memberMark = at;
                    hides.Add(new HideMark(memberId, null, at));
                }
            }

            using (var command = Command(connection, tx, "SELECT title_id, at FROM title_marks WHERE member_id = $m ORDER BY title_id", ("$m", memberId)))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    titleMarks[reader.GetString(0)] = reader.GetInt64(1);
                    hides.Add(new HideMark(memberId, reader.GetString(0), reader.GetInt64(1)));
                }
            }

            await sink.BeginAsync(hides, ReadErasure(connection, tx, memberId), cancellationToken);
            using (var command = Command(connection, tx, $"""
                SELECT {ItemColumns} FROM items INDEXED BY items_page WHERE member_id = $m ORDER BY last_watched_at DESC, title_id
                """, ("$m", memberId)))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    await sink.ItemAsync(ReadItem(reader, 0), cancellationToken);
                }
            }

            using (var command = Command(connection, tx, """
                SELECT title_id, session_id, last_at, head_seq, head_ts, head_event_id, position_ms, duration_ms, started_at, head_device
                FROM sessions WHERE member_id = $m ORDER BY title_id, session_id
                """, ("$m", memberId)))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    var session = new SessionState(
                        reader.GetString(1), reader.GetInt64(2), reader.GetInt32(3), reader.GetInt64(4), reader.GetString(5), reader.GetInt64(6), reader.GetInt64(7),
                        reader.IsDBNull(8) ? null : reader.GetInt64(8), reader.IsDBNull(9) ? null : reader.GetString(9));
                    await sink.SessionAsync(ExportedSession.From(reader.GetString(0), session, memberMark, titleMarks), cancellationToken);
                }
            }
        }
        catch (SqliteException e)
        {
            throw Map(e);
        }
    }
}
