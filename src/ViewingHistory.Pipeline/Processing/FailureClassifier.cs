using System.Data.Common;
using System.Net.Sockets;
using ViewingHistory.Queue;
using ViewingHistory.Store;

namespace ViewingHistory.Pipeline.Processing;

/// <summary>
/// DESIGN.md principle 5: transient failures (the store or queue unreachable, timeouts) are retried without end
/// and never dead-letter anything; everything else counts toward the permanent-failure budget of a batch.
/// </summary>
public static class FailureClassifier
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        StoreUnavailableException or QueueUnavailableException or TimeoutException or SocketException => true,
        DbException db => db.IsTransient,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsTransient),
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };
}
