namespace ViewingHistory.Queue;

/// <summary>
/// A durable consumer. Deliveries may be acknowledged out of order; the consumer's position only moves past
/// what was acknowledged (the contiguous watermark), so after a crash whatever was not acknowledged is
/// delivered again (at least once).
/// </summary>
public interface IQueueConsumer : IAsyncDisposable
{
    /// <summary>
    /// Waits until at least one entry is available or <paramref name="maxWait"/> passes, then returns the entries
    /// available, up to about <paramref name="maxEvents"/> events (whole entries: a batch is never split). May be empty.
    /// </summary>
    ValueTask<QueueDelivery> ReceiveAsync(int maxEvents, TimeSpan maxWait, CancellationToken cancellationToken);

    /// <summary>Acknowledges a delivery whose effect is committed. Its entries are not delivered to this consumer again.</summary>
    ValueTask AckAsync(QueueDelivery delivery, CancellationToken cancellationToken);

    /// <summary>Tells the queue the delivery is still being worked on (long retries), so it is not redelivered meanwhile.</summary>
    ValueTask KeepAliveAsync(QueueDelivery delivery, CancellationToken cancellationToken);

    /// <summary>Events appended and not yet acknowledged by this consumer (an estimate where the engine only knows messages).</summary>
    long LagEvents { get; }

    /// <summary>
    /// <see cref="LagEvents"/> per stream where the engine shards the queue (JetStream's <c>Queue:Streams</c>), by
    /// stream name: the <c>stream</c> label of the lag gauges. One stream, <c>log</c>, for the embedded log.
    /// </summary>
    IReadOnlyList<KeyValuePair<string, long>> StreamLags => [new("log", LagEvents)];

    /// <summary>
    /// Deliveries of an entry after which the engine stops redelivering it, silently (JetStream's MaxDeliver); null
    /// where redelivery never stops (the embedded log). An entry whose <see cref="QueueEntry.DeliveryCount"/> has
    /// reached it is on its last attempt: a permanent failure must dead-letter it now or it is lost.
    /// </summary>
    int? MaxDeliveries => null;
}
