using Microsoft.Extensions.Logging;

namespace ViewingHistory.Pipeline.Processing;

/// <summary>
/// Bookkeeping after a commit (metrics): logged when it fails, never thrown into the fate of the delivery. Whatever
/// fails here, the effect is committed and the delivery's fate is decided; an exception would make a committed batch
/// look failed, which would retry it and, worse, dead-letter entries that are applied.
/// </summary>
internal static partial class AfterCommit
{
    public static void Run(ILogger logger, string consumer, Action bookkeeping)
    {
        try
        {
            bookkeeping();
        }
        catch (Exception ex)
        {
            LogBookkeepingFailed(logger, ex, consumer);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer}: bookkeeping after a commit failed; the batch stays applied")]
    private static partial void LogBookkeepingFailed(ILogger logger, Exception exception, string consumer);
}
