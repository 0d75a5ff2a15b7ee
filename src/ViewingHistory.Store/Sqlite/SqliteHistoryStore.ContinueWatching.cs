using ViewingHistory.Core.History;

namespace ViewingHistory.Store.Sqlite;

public sealed partial class SqliteHistoryStore
{
    // The page queries of the history over the partial index items_resume, which holds only the in-progress rows:
    // a first page reads about limit index entries however many finished titles the member has. The predicate is
    // repeated verbatim (SQLite uses a partial index only when the query's WHERE contains the index's terms), and
    // INDEXED BY turns a predicate that drifted from the index's into an error instead of a silent scan.
    private const string ContinueFirstPageSql = $"""
        SELECT {ItemColumns} FROM items INDEXED BY items_resume WHERE member_id = $m AND {Progress.InProgressSql}
        ORDER BY last_watched_at DESC, title_id LIMIT $n
        """;

    private const string ContinueNextPageSql = $"""
        SELECT * FROM (SELECT {ItemColumns} FROM items INDEXED BY items_resume
            WHERE member_id = $m AND {Progress.InProgressSql} AND last_watched_at = $at AND title_id > $title ORDER BY title_id LIMIT $n)
        UNION ALL
        SELECT * FROM (SELECT {ItemColumns} FROM items INDEXED BY items_resume
            WHERE member_id = $m AND {Progress.InProgressSql} AND last_watched_at < $at ORDER BY last_watched_at DESC, title_id LIMIT $n)
        ORDER BY last_watched_at DESC, title_id LIMIT $n
        """;

    /// <summary>The partial index of continue-watching; created with the schema, and on the first start of a database made before it.</summary>
    private const string ContinueWatchingIndexSql =
        $"CREATE INDEX IF NOT EXISTS items_resume ON items (member_id, last_watched_at DESC, title_id) WHERE {Progress.InProgressSql};";

    public Task<HistoryPage> ReadContinueWatchingAsync(string memberId, int limit, HistoryCursor? after, CancellationToken cancellationToken) =>
        ReadPageAsync(memberId, limit, after, ContinueFirstPageSql, ContinueNextPageSql);
}
