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
    ILogger<ChangeRetentionService> logger) : PeriodicPass(options.PruneInterval, time)
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

    // The store may be down for a while: the next tick tries again; nothing is lost by pruning late.
    protected override void OnPassFailed(Exception exception) => LogFailed(exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: pruned {Count} changes older than the retention")]
    private partial void LogPruned(long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change feed: pruning failed; trying again at the next interval")]
    private partial void LogFailed(Exception exception);
}
