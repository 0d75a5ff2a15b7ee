using Microsoft.Data.Sqlite;
using ViewingHistory.Core.History;

namespace ViewingHistory.Store.Sqlite;

public sealed partial class SqliteHistoryStore
{
    private const string ItemColumns = "title_id, last_watched_at, position_ms, duration_ms, sessions";

    private const string FirstPageSql = $"""
        SELECT {ItemColumns} FROM items INDEXED BY items_page WHERE member_id = $m
        ORDER BY last_watched_at DESC, title_id LIMIT $n
        """;

    // Two exact index ranges (the rest of the cursor's lastWatchedAt, then everything older) instead of one OR
    // condition: with the OR, SQLite walks the member's index from its start, so page k would cost k pages.
    // INDEXED BY because, without statistics, the planner prefers the primary key for "title_id > ?" and then
    // walks every later title of the member.
    private const string NextPageSql = $"""
        SELECT * FROM (SELECT {ItemColumns} FROM items INDEXED BY items_page
            WHERE member_id = $m AND last_watched_at = $at AND title_id > $title ORDER BY title_id LIMIT $n)
        UNION ALL
        SELECT * FROM (SELECT {ItemColumns} FROM items INDEXED BY items_page
            WHERE member_id = $m AND last_watched_at < $at ORDER BY last_watched_at DESC, title_id LIMIT $n)
        ORDER BY last_watched_at DESC, title_id LIMIT $n
        """;

    public Task<HistoryPage> ReadPageAsync(string memberId, int limit, HistoryCursor? after, CancellationToken cancellationToken) =>
        ReadPageAsync(memberId, limit, after, FirstPageSql, NextPageSql);

    /// <summary>A page in page order by one of the page queries (parameters <c>$m</c>, <c>$n</c>, and <c>$at</c>, <c>$title</c> after a cursor).</summary>
    private async Task<HistoryPage> ReadPageAsync(string memberId, int limit, HistoryCursor? after, string firstSql, string nextSql)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await Task.CompletedTask;
        try
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = after is null ? firstSql : nextSql;
            command.Parameters.AddWithValue("$m", memberId);
            command.Parameters.AddWithValue("$n", limit + 1);
            if (after is { } cursor)
            {
                command.Parameters.AddWithValue("$at", cursor.LastWatchedAtMs);
                command.Parameters.AddWithValue("$title", cursor.TitleId);
            }

            var items = new List<HistoryItem>(Math.Min(limit + 1, 128));
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    items.Add(ReadItem(reader, 0));
                }
            }

            if (items.Count <= limit)
            {
                return new HistoryPage(items, null);
            }

            items.RemoveAt(limit);
            return new HistoryPage(items, HistoryCursor.After(items[^1]));
        }
        catch (SqliteException e)
        {
            throw Map(e);
        }
    }

    public async Task<HistoryItem?> ReadItemAsync(string memberId, string titleId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        ArgumentException.ThrowIfNullOrEmpty(titleId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await Task.CompletedTask;
        try
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {ItemColumns} FROM items WHERE member_id = $m AND title_id = $t";
            command.Parameters.AddWithValue("$m", memberId);
            command.Parameters.AddWithValue("$t", titleId);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadItem(reader, 0) : null;
        }
        catch (SqliteException e)
        {
            throw Map(e);
        }
    }

    public async Task<ChangePage> ReadChangesAsync(long after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await Task.CompletedTask;
        try
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            // An erased member's earlier item-carrying changes are left out at once (the purge deletes them later); the
            // page still moves past them, so a reader never stops at a page that is all gaps.
            command.CommandText = """
                SELECT c.position, c.member_id, c.title_id, c.last_watched_at, c.position_ms, c.duration_ms, c.sessions, c.changed_at,
                    c.last_watched_at IS NOT NULL AND c.position <= coalesce(e.feed_position, 0)
                FROM changes c LEFT JOIN erasures e ON e.member_id = c.member_id
                WHERE c.position > $after ORDER BY c.position LIMIT $n
                """;
            command.Parameters.AddWithValue("$after", after);
            command.Parameters.AddWithValue("$n", limit);
            var changes = new List<ItemChange>();
            var next = after;
            var scanned = 0;
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
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
        }
        catch (SqliteException e)
        {
            throw Map(e);
        }
    }

    public Task<long> PruneChangesAsync(long olderThanMs, CancellationToken cancellationToken) =>
        WriteAsync(
            (c, _) =>
            {
                // Prunes the oldest run of changes up to the first one that is not old enough, walking the primary
                // key from its start (no index on changed_at to pay for on every write). The newest row always stays,
                // so a reader's next position is never ahead of every row, and AUTOINCREMENT never reuses positions.
                SetParameters(c.PruneChanges, olderThanMs);
                return (long)c.PruneChanges.ExecuteNonQuery();
            },
            cancellationToken,
            keepsRowCache: true); // the feed only: no row the cache holds


    private static HistoryItem ReadItem(SqliteDataReader reader, int at) =>
        new(reader.GetString(at), reader.GetInt64(at + 1), reader.GetInt64(at + 2), reader.GetInt64(at + 3), reader.GetInt32(at + 4));
}
