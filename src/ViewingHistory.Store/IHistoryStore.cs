using ViewingHistory.Core.History;

namespace ViewingHistory.Store;

/// <summary>
/// The history store seam (DESIGN.md principle 7): apply a reduced batch atomically; read a page; read an item;
/// read continue-watching; hide; read the change feed. Implementations: SQLite (embedded) and PostgreSQL. Every operation gives the
/// history CONTRACT.md defines, whatever the order, duplication and concurrency of the applies.
/// </summary>
public partial interface IHistoryStore : IAsyncDisposable
{
    /// <summary>
    /// Creates or migrates the schema. Idempotent; safe when several instances start at once. A store on a server
    /// (PostgreSQL) that cannot be reached now throws <see cref="StoreUnavailableException"/> and initializes on first
    /// use once the server answers; any other exception is a refusal of the configuration (the start must fail).
    /// </summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Merges the sessions (each already reduced from its events with <see cref="SessionState.Merge"/>) into the
    /// stored sessions and updates every item they touch, honouring the hide marks, in one transaction; records a
    /// change for every item that really changed, in that same transaction. Idempotent: applying the same sessions
    /// again writes nothing and returns zero counts (<see cref="ApplyResult.SessionsWritten"/> counts session rows
    /// whose merged state changed, not the sessions passed in).
    /// </summary>
    Task<ApplyResult> ApplyAsync(IReadOnlyDictionary<SessionKey, SessionState> sessions, CancellationToken cancellationToken);

    /// <summary>A page of the member's items in page order, starting after <paramref name="after"/> (null: the first page).</summary>
    Task<HistoryPage> ReadPageAsync(string memberId, int limit, HistoryCursor? after, CancellationToken cancellationToken);

    /// <summary>
    /// A page of the member's in-progress items (<see cref="Progress.IsInProgress"/>: continue-watching), in page order,
    /// starting after <paramref name="after"/>. Costs about what <see cref="ReadPageAsync"/> costs, however many finished
    /// items the member has (a partial index holds only the in-progress rows).
    /// </summary>
    Task<HistoryPage> ReadContinueWatchingAsync(string memberId, int limit, HistoryCursor? after, CancellationToken cancellationToken);

    Task<HistoryItem?> ReadItemAsync(string memberId, string titleId, CancellationToken cancellationToken);

    /// <summary>Raises the title's hide mark to <paramref name="atMs"/> (a mark never moves back) and updates the item.</summary>
    Task HideTitleAsync(string memberId, string titleId, long atMs, CancellationToken cancellationToken);

    /// <summary>Raises the member's hide-all mark to <paramref name="atMs"/> and updates every item of the member.</summary>
    Task HideAllAsync(string memberId, long atMs, CancellationToken cancellationToken);

    /// <summary>
    /// Members that have at least one item, in ordinal order, after <paramref name="after"/> (null: from the first).
    /// For whole-store comparisons (shadow mode), not for the request path.
    /// </summary>
    Task<IReadOnlyList<string>> ListMembersAsync(string? after, int limit, CancellationToken cancellationToken);

    /// <summary>Changes with a position greater than <paramref name="after"/>, oldest first.</summary>
    Task<ChangePage> ReadChangesAsync(long after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Drops the oldest changes, up to the first one stamped at or after <paramref name="olderThanMs"/> (server time),
    /// always keeping the newest change, so what is retained stays one contiguous run of positions. Returns how many.
    /// </summary>
    Task<long> PruneChangesAsync(long olderThanMs, CancellationToken cancellationToken);

    /// <summary>Throws when the store cannot be reached.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Commits a small write of the store's own (one row of a table that holds nothing else), through the same path
    /// as <see cref="ApplyAsync"/>: completes when the store accepts writes, throws when it does not (read-only,
    /// unreachable, out of disk, locked). The processor calls it before it blames an entry for a failure: an entry is
    /// the one at fault only when it fails alone against a store that accepts other writes.
    /// </summary>
    /// <exception cref="StoreUnavailableException">The store cannot take writes now.</exception>
    Task ProbeWriteAsync(CancellationToken cancellationToken);
}
