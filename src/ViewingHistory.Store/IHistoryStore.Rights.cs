using ViewingHistory.Store.Rights;

namespace ViewingHistory.Store;

/// <summary>
/// Member data rights (CONTRACT.md "Member data rights"): the erasure mark, its purge, and the export. The mark lives in
/// its own table (never among the hide marks, or the export would list it as one). Every place that holds a copy of the
/// member's data outside the store's own rows (the feed's outbox, the shadow store, the relay's stream, each archive
/// root) registers as a <em>part</em>; an erasure is complete once every registered part has said it is clean through
/// the erasure's E.
/// </summary>
public partial interface IHistoryStore
{
    /// <summary>
    /// Records an erasure of <paramref name="memberId"/> in one transaction under the member's write lock: T is
    /// <paramref name="requestedAtMs"/> or, when null, the store's clock inside the transaction, and E = T + 5 minutes.
    /// Deletes every session, item and hide mark of the member, appends a change with a null item for each item it had,
    /// and keeps the mark. While an erasure of the member is pending (not completed), a request with no
    /// <paramref name="requestedAtMs"/> returns it unchanged; a given <paramref name="requestedAtMs"/> (the shadow store
    /// copying the primary's mark) raises the mark to it if it is later. A mark never moves back.
    /// </summary>
    Task<ErasureRecord> EraseMemberAsync(string memberId, long? requestedAtMs, CancellationToken cancellationToken);

    /// <summary>The member's latest erasure and the parts that are not yet clean of it, or null when none was requested.</summary>
    Task<ErasureStatus?> ReadErasureAsync(string memberId, CancellationToken cancellationToken);

    /// <summary>E of each of <paramref name="memberIds"/> that has an erasure mark.</summary>
    Task<IReadOnlyDictionary<string, long>> ReadErasureMarksAsync(IReadOnlyCollection<string> memberIds, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the member's data to <paramref name="sink"/> from one consistent snapshot: first the hide marks and the
    /// erasure (<see cref="IMemberExportSink.BeginAsync"/>), then the items newest first, then every session by titleId
    /// and sessionId. Rows are handed over one at a time as they are read.
    /// </summary>
    Task ExportAsync(string memberId, IMemberExportSink sink, CancellationToken cancellationToken);

    /// <summary>Registers a part that must be clean before an erasure completes (idempotent).</summary>
    Task RegisterErasurePartAsync(string part, CancellationToken cancellationToken);

    /// <summary>Every registered part, in ordinal order.</summary>
    Task<IReadOnlyList<string>> ReadErasurePartsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Unregisters a part that the deployment no longer keeps (a shadow store after leaving shadow mode, an archive root
    /// turned off, the relay's stream without a relay), forgets what it reported, and completes every erasure whose
    /// remaining parts are all clean. Idempotent; a part that runs again registers again.
    /// </summary>
    Task RetireErasurePartAsync(string part, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the store's data is there, found without creating anything (<see cref="InitializeAsync"/> would): a store
    /// the deployment stopped using (the shadow store after shadow mode) may have been deleted by the operator.
    /// </summary>
    Task<bool> ExistsAsync(CancellationToken cancellationToken);

    /// <summary>The erasures that <paramref name="part"/> has not yet reported clean, oldest request first.</summary>
    Task<IReadOnlyList<ErasureRecord>> ReadPendingErasuresAsync(string part, CancellationToken cancellationToken);

    /// <summary>Records that <paramref name="part"/> holds nothing covered by the member's mark at <paramref name="erasedThroughMs"/>.</summary>
    Task MarkErasurePartCleanAsync(string part, string memberId, long erasedThroughMs, CancellationToken cancellationToken);

    /// <summary>
    /// The feed's part of the purge: deletes the changes that carried an item of an erased member and came before its
    /// erasure (reads already leave them out), walking the outbox in ranges of <paramref name="positionsPerTransaction"/>
    /// positions so that no transaction holds the writer long; then reports <see cref="ErasureParts.Feed"/> clean for
    /// those erasures and completes every erasure whose parts are all clean. Returns the changes deleted.
    /// </summary>
    Task<long> PurgeErasedChangesAsync(int positionsPerTransaction, CancellationToken cancellationToken);
}
