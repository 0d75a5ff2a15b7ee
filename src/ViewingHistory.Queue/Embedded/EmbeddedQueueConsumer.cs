namespace ViewingHistory.Queue.Embedded;

/// <summary>
/// A handle on a named consumer of the embedded queue. Handles of the same name in one process share one position
/// and compete for entries. <see cref="QueueEntry.DeliveryCount"/> is 1: the embedded log never redelivers within a
/// run (there is no ack timer), only after a restart, from the persisted watermark.
/// </summary>
public sealed class EmbeddedQueueConsumer : IQueueConsumer
{
    private readonly ConsumerState _state;
    private int _disposed;

    internal EmbeddedQueueConsumer(ConsumerState state)
    {
        _state = state;
    }

    /// <summary>The consumer's name.</summary>
    public string Name => _state.Name;

    /// <inheritdoc />
    public long LagEvents => _state.LagEvents;

    /// <inheritdoc />
    public ValueTask<QueueDelivery> ReceiveAsync(int maxEvents, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _state.ReceiveAsync(maxEvents, maxWait, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask AckAsync(QueueDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _state.AckAsync(delivery, cancellationToken);
    }

    /// <summary>
    /// A no-op: the embedded log has no redelivery timer. An unacknowledged delivery holds the watermark where it is
    /// for as long as it takes, and is redelivered only after a restart.
    /// </summary>
    public ValueTask KeepAliveAsync(QueueDelivery delivery, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? _state.ReleaseHandleAsync() : ValueTask.CompletedTask;
}
