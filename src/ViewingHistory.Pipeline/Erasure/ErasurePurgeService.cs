using Microsoft.Extensions.Logging;
using ViewingHistory.Store;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Pipeline.Erasure;

/// <summary>
/// The background part of an erasure that the store does not do in the request (CONTRACT.md "Member data rights"):
/// every <see cref="ErasureOptions.PurgeInterval"/> it deletes the erased members' earlier item-carrying changes from the
/// outbox (reads leave them out already), and, where a shadow store is kept, copies the primary's marks to it, purges its
/// outbox too and reports the part <see cref="ErasureParts.Shadow"/> clean. Runs on processor nodes; several at once only
/// repeat idempotent deletes.
/// </summary>
public sealed partial class ErasurePurgeService(
    StoreSet stores,
    ErasureOptions options,
    TimeProvider time,
    ILogger<ErasurePurgeService> logger) : PeriodicPass(options.PurgeInterval, time, logger, "Erasure: the purge")
{
    private bool _shadowRegistered;

    /// <summary>One pass: what a tick does. Returns the outbox rows deleted from the primary store.</summary>
    public async Task<long> PurgeOnceAsync(CancellationToken cancellationToken)
    {
        if (stores.Shadow is not null && !_shadowRegistered)
        {
            // Until it is registered, the shadow store is still erased in the request (HistoryCommands), only not waited for.
            await stores.Primary.RegisterErasurePartAsync(ErasureParts.Shadow, cancellationToken);
            _shadowRegistered = true;
        }

        var deleted = await stores.Primary.PurgeErasedChangesAsync(options.PositionsPerTransaction, cancellationToken);
        if (stores.Shadow is { } shadow)
        {
            foreach (var erasure in await stores.Primary.ReadPendingErasuresAsync(ErasureParts.Shadow, cancellationToken))
            {
                // The same T as the primary's: the shadow store's own mark, then its own outbox.
                await shadow.EraseMemberAsync(erasure.MemberId, erasure.RequestedAtMs, cancellationToken);
                await shadow.PurgeErasedChangesAsync(options.PositionsPerTransaction, cancellationToken);
                var copy = await shadow.ReadErasureAsync(erasure.MemberId, cancellationToken);
                if (copy is { Erasure.CompletedAtMs: not null } && copy.Erasure.ErasedThroughMs >= erasure.ErasedThroughMs)
                {
                    await stores.Primary.MarkErasurePartCleanAsync(ErasureParts.Shadow, erasure.MemberId, erasure.ErasedThroughMs, cancellationToken);
                }
            }
        }

        return deleted;
    }

    // The store may be down: the next tick tries again; until then reads already leave the changes out.
    protected override async Task RunPassAsync(CancellationToken cancellationToken)
    {
        var deleted = await PurgeOnceAsync(cancellationToken);
        if (deleted > 0)
        {
            LogPurged(deleted);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure: removed {Count} earlier changes of erased members from the feed")]
    private partial void LogPurged(long count);
}
