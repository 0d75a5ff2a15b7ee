using ViewingHistory.Core.History;

namespace ViewingHistory.Store.Postgres;

public sealed partial class PostgresHistoryStore
{
    // The history's page queries over the partial index items_resume (only the in-progress rows): a first page reads
    // about limit index entries however many finished titles the member has. The planner uses a partial index only
    // when it can prove the query implies the index's predicate, so the query repeats it verbatim, with constants.
    private const string ContinueFirstPageSql = $"""
        SELECT {ItemPageColumns} FROM items WHERE member_id = $1 AND {Progress.InProgressSql}
        ORDER BY last_watched_at DESC, title_id LIMIT $2
        """;

    private const string ContinueNextPageSql = $"""
        (SELECT {ItemPageColumns} FROM items WHERE member_id = $1 AND {Progress.InProgressSql} AND last_watched_at = $3 AND title_id > $4
            ORDER BY title_id LIMIT $2)
        UNION ALL
        (SELECT {ItemPageColumns} FROM items WHERE member_id = $1 AND {Progress.InProgressSql} AND last_watched_at < $3
            ORDER BY last_watched_at DESC, title_id LIMIT $2)
        ORDER BY last_watched_at DESC, title_id LIMIT $2
        """;

    /// <summary>
    /// The partial index of continue-watching; created with the schema, and on the first start of a database made before
    /// it (a plain CREATE INDEX: it holds writes to items while it builds, see README "Continue watching").
    /// </summary>
    private const string ContinueWatchingIndexSql =
        $"CREATE INDEX IF NOT EXISTS items_resume ON items (member_id, last_watched_at DESC, title_id) WHERE {Progress.InProgressSql};";

    public Task<HistoryPage> ReadContinueWatchingAsync(string memberId, int limit, HistoryCursor? after, CancellationToken cancellationToken) =>
        ReadPageAsync(memberId, limit, after, ContinueFirstPageSql, ContinueNextPageSql, cancellationToken);
}
