using Npgsql;
using ViewingHistory.Core.History;

namespace ViewingHistory.Store.Postgres;

public sealed partial class PostgresHistoryStore
{
    public Task<HistoryPage> ReadPageAsync(string memberId, int limit, HistoryCursor? after, CancellationToken cancellationToken) =>
        ReadPageAsync(memberId, limit, after, FirstPageSql, NextPageSql, cancellationToken);

    /// <summary>A page in page order by one of the page queries (<c>$1</c> member, <c>$2</c> limit, then the cursor's <c>$3</c>, <c>$4</c>).</summary>
    private Task<HistoryPage> ReadPageAsync(string memberId, int limit, HistoryCursor? after, string firstSql, string nextSql, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return GuardAsync(
            async () =>
            {
                await using var command = _dataSource.CreateCommand(after is null ? firstSql : nextSql);
                command.Parameters.Add(new NpgsqlParameter { Value = memberId });
                command.Parameters.Add(new NpgsqlParameter { Value = limit + 1 });
                if (after is { } cursor)
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = cursor.LastWatchedAtMs });
                    command.Parameters.Add(new NpgsqlParameter { Value = cursor.TitleId });
                }

                var items = new List<HistoryItem>(Math.Min(limit + 1, 128));
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        items.Add(new HistoryItem(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4)));
                    }
                }

                if (items.Count <= limit)
                {
                    return new HistoryPage(items, null);
                }

                items.RemoveAt(limit);
                return new HistoryPage(items, HistoryCursor.After(items[^1]));
            },
            cancellationToken);
    }

    public Task<HistoryItem?> ReadItemAsync(string memberId, string titleId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        ArgumentException.ThrowIfNullOrEmpty(titleId);
        return GuardAsync(
            async () =>
            {
                await using var command = _dataSource.CreateCommand(
                    $"SELECT {ItemPageColumns} FROM items WHERE member_id = $1 AND title_id = $2");
                command.Parameters.Add(new NpgsqlParameter { Value = memberId });
                command.Parameters.Add(new NpgsqlParameter { Value = titleId });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                return await reader.ReadAsync(cancellationToken)
                    ? new HistoryItem(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4))
                    : null;
            },
            cancellationToken);
    }

    public Task<ChangePage> ReadChangesAsync(long after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return GuardAsync(
            async () =>
            {
                // Safe to trust positions here: writers draw and commit them in one order (see LockFeedSql).
                // An erased member's earlier item-carrying changes are left out at once (the purge deletes them later);
                // the page still moves past them.
                await using var command = _dataSource.CreateCommand("""
                    SELECT c.position, c.member_id, c.title_id, c.last_watched_at, c.position_ms, c.duration_ms, c.sessions, c.changed_at,
                        c.last_watched_at IS NOT NULL AND c.position <= coalesce(e.feed_position, 0)
                    FROM changes c LEFT JOIN erasures e ON e.member_id = c.member_id
                    WHERE c.position > $1 ORDER BY c.position LIMIT $2
                    """);
                command.Parameters.Add(new NpgsqlParameter { Value = after });
                command.Parameters.Add(new NpgsqlParameter { Value = limit });
                var changes = new List<ItemChange>();
                var next = after;
                var scanned = 0;
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        next = reader.GetInt64(0);
                        scanned++;
                        if (reader.GetBoolean(8))
                        {
                            continue;
                        }

                        var titleId = reader.GetString(2);
                        var item = reader.IsDBNull(3)
                            ? null
                            : new HistoryItem(titleId, reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt32(6));
                        changes.Add(new ItemChange(reader.GetInt64(0), reader.GetString(1), titleId, item, reader.GetInt64(7)));
                    }
                }

                return new ChangePage(changes, changes.Count == 0 && scanned < limit ? after : next);
            },
            cancellationToken);
    }

    public Task<long> PruneChangesAsync(long olderThanMs, CancellationToken cancellationToken) =>
        GuardAsync(
            async () =>
            {
                // The oldest run of changes up to the first one that is not old enough, found by walking the primary
                // key (no index on changed_at to maintain on every write); the newest row always stays.
                await using var command = _dataSource.CreateCommand("""
                    DELETE FROM changes WHERE position < coalesce(
                        (SELECT position FROM changes WHERE changed_at >= $1 ORDER BY position LIMIT 1),
                        (SELECT max(position) FROM changes))
                    """);
                command.Parameters.Add(new NpgsqlParameter { Value = olderThanMs });
                return (long)await command.ExecuteNonQueryAsync(cancellationToken);
            },
            cancellationToken);
}
