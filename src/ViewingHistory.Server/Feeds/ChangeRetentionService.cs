using ViewingHistory.Pipeline;
using ViewingHistory.Server.Configuration;

namespace ViewingHistory.Server.Feeds;

/// <summary>
/// Prunes changes older than <c>Store:ChangeRetention</c> every <see cref="FeedOptions.PruneInterval"/>. Runs on
/// processor nodes; when several run it, pruning is idempotent, so no coordination is needed. A feed reader that
/// falls behind the retention resumes at the oldest change retained (CONTRACT.md "Change feed").
/// </summary>
internal sealed partial class ChangeRetentionService(
    StoreSet stores,
    StoreOptions store,
    FeedOptions options,
    TimeProvider time,
    ILogger<ChangeRetentionService> logger) : PeriodicPass(options.PruneInterval, time, logger, "Change feed: pruning")
{
    protected override async Task RunPassAsync(CancellationToken cancellationToken)
    {
        var olderThan = Time.GetUtcNow().ToUnixTimeMilliseconds() - (long)store.ChangeRetention.TotalMilliseconds;
        var pruned = await stores.Primary.PruneChangesAsync(olderThan, cancellationToken);
        if (pruned > 0)
        {
            LogPruned(pruned);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: pruned {Count} changes older than the retention")]
    private partial void LogPruned(long count);
}
