using ViewingHistory.Core.Events;

namespace ViewingHistory.Queue;

/// <summary>
/// The event queue seam (DESIGN.md principle 7): append accepted batches durably; consume them in batches
/// through named durable consumers; acknowledge; dead-letter. Implementations: the embedded on-disk log and
/// NATS JetStream.
/// </summary>
public interface IEventQueue : IAsyncDisposable
{
    /// <summary>Creates or opens what the queue needs (files, streams). Idempotent; safe when several instances start at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Appends the batch atomically and completes only once it is durable (as far as the engine's durability goes).
    /// Concurrent appends share commits. Throws <see cref="QueueUnavailableException"/> when the queue cannot take it.
    /// </summary>
    ValueTask AppendAsync(AcceptedBatch batch, CancellationToken cancellationToken);

    /// <summary>Opens the durable consumer <paramref name="name"/> (e.g. "processor", "archive"); instances with the same name share the work.</summary>
    IQueueConsumer OpenConsumer(string name);

    /// <summary>
    /// Retires the durable consumer <paramref name="name"/>, which this deployment no longer runs (the shadow processor
    /// after leaving shadow mode, the archive when it is turned off), so that nothing it left behind holds the queue
    /// back. True when there was something to retire. Call it before the consumer is opened in this process.
    /// </summary>
    /// <remarks>
    /// The embedded log deletes the consumer's checkpoint: a registered consumer holds truncation back whether or not
    /// it runs. A JetStream stream's limits, not its consumers, decide what it keeps, and other nodes may still run
    /// the consumer (a rolling restart out of shadow mode): JetStream leaves it alone and answers false.
    /// </remarks>
    Task<bool> RetireConsumerAsync(string name, CancellationToken cancellationToken);

    /// <summary>The dead-letter queue of this queue.</summary>
    IDeadLetterQueue DeadLetters { get; }

    /// <summary>True while appends can be made durable.</summary>
    ValueTask<bool> IsHealthyAsync(CancellationToken cancellationToken);

    /// <summary>
    /// True while consumers can reach the queue (fetch deliveries and acknowledge them). Not the same as
    /// <see cref="IsHealthyAsync"/>: a full embedded log refuses appends but can still be drained, and an ingest
    /// node's spool takes appends while the shared queue its consumers read is unreachable.
    /// </summary>
    ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken);
}
