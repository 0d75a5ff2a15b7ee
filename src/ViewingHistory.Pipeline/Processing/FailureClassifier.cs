using System.Net.Sockets;
using ViewingHistory.Queue;
using ViewingHistory.Store;

namespace ViewingHistory.Pipeline.Processing;

/// <summary>
/// DESIGN.md principle 5 and "What permanent means": transient failures (the store's or the queue's state: unreachable,
/// timed out, read-only, full, locked...) are retried for as long as they last and never dead-letter anything. The
/// stores translate their engines' errors at the seam (<see cref="StoreFailures"/> holds that table); this only
/// recognizes the seams' own types, and asks <see cref="StoreFailures"/> about anything that escaped a seam untranslated.
/// A failure that is not transient is not yet permanent either: the processor still has to show that the entry fails
/// alone against a store that accepts other writes.
/// </summary>
public static class FailureClassifier
{
    /// <summary>True when <paramref name="exception"/> is about the state of a store or queue, not about the data.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        StoreUnavailableException or QueueUnavailableException or TimeoutException or SocketException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.Any(IsTransient),
        _ => StoreFailures.IsStoreState(exception) || (exception.InnerException is { } inner && IsTransient(inner)),
    };
}
