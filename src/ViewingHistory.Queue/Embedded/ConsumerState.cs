using System.Globalization;
using FASTER.core;
using ViewingHistory.Core.Serialization;
using ViewingHistory.Core.Durability;

namespace ViewingHistory.Queue.Embedded;

/// <summary>
/// What the handles of one consumer name share in this process: one log iterator (so handles compete for entries
/// instead of each reading everything), the outstanding deliveries and the persisted watermark. Acks move the
/// watermark in memory; it reaches disk every <see cref="EmbeddedQueueOptions.CheckpointInterval"/> (or on every ack
/// when that is zero) and when the last handle closes.
/// </summary>
internal sealed class ConsumerState
{
    private readonly EmbeddedEventQueue _queue;
    private FasterLogScanIterator _iterator;
    private readonly SemaphoreSlim _receiveGate = new(1, 1);
    private readonly SemaphoreSlim _persistGate = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly object _watermarkGate = new();
    private readonly AckWatermark _watermark;
    private readonly TimeSpan _checkpointInterval;
    private readonly Task _checkpointer;
    private ConsumerCheckpoint _persisted;
    private bool _closed;

    public ConsumerState(string name, EmbeddedEventQueue queue, FasterLog log, ConsumerCheckpoint start, TimeSpan checkpointInterval)
    {
        Name = name;
        _queue = queue;
        _watermark = new AckWatermark(start);
        _persisted = start;
        _checkpointInterval = checkpointInterval;
        _iterator = log.Scan(start.Address, long.MaxValue, scanUncommitted: false);
        _checkpointer = checkpointInterval > TimeSpan.Zero ? CheckpointPeriodicallyAsync() : Task.CompletedTask;
    }

    public string Name { get; }

    /// <summary>Events acknowledged by this consumer since the log was created.</summary>
    public long AckedEvents
    {
        get
        {
            lock (_watermarkGate)
            {
                return _watermark.Position.EventsBelow;
            }
        }
    }

    public long LagEvents => Math.Max(0, _queue.AppendedEvents - AckedEvents);

    /// <summary>Open handles; changed only under the queue's registry lock, so opening and closing cannot race.</summary>
    public int Handles { get; set; }

    public async ValueTask<QueueDelivery> ReceiveAsync(int maxEvents, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEvents);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        await _receiveGate.WaitAsync(linked.Token);
        try
        {
            var deadline = DateTime.UtcNow + maxWait;
            while (true)
            {
                ObjectDisposedException.ThrowIf(_closed, this);
                if (TakeAvailable(maxEvents) is { } delivery)
                {
                    return delivery;
                }

                var remaining = deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero)
                {
                    return QueueDelivery.Empty;
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(linked.Token);
                wait.CancelAfter(remaining);
                try
                {
                    if (!await _iterator.WaitAsync(wait.Token))
                    {
                        return QueueDelivery.Empty;
                    }
                }
                catch (OperationCanceledException) when (!linked.IsCancellationRequested)
                {
                    return QueueDelivery.Empty;
                }
            }
        }
        finally
        {
            _receiveGate.Release();
        }
    }

    public async ValueTask AckAsync(QueueDelivery delivery, CancellationToken cancellationToken)
    {
        if (delivery.Entries.Count == 0)
        {
            return;
        }

        if (delivery.Token is not DeliveryToken token || !ReferenceEquals(token.State, this))
        {
            throw new ArgumentException($"The delivery was not made by consumer '{Name}' in this run.", nameof(delivery));
        }

        lock (_watermarkGate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (token.Pending.Acked || !_watermark.Ack(token.Pending))
            {
                return;
            }
        }

        if (_checkpointInterval == TimeSpan.Zero)
        {
            await PersistAsync(cancellationToken);
        }
    }

    /// <summary>Closes one handle; the last one persists the watermark and releases the iterator.</summary>
    public async ValueTask ReleaseHandleAsync()
    {
        if (_queue.ReleaseHandle(this))
        {
            await CloseAsync();
        }
    }

    /// <summary>
    /// Moves the iterator to a log recreated after a failed commit, at the address where it stood: what it delivered
    /// stays delivered (only committed entries are read, and the recreated log recovers every one of them).
    /// </summary>
    public async Task RebaseAsync(FasterLog log)
    {
        await _receiveGate.WaitAsync();
        try
        {
            if (_closed)
            {
                return;
            }

            var next = _iterator.NextAddress;
            _iterator.Dispose();
            _iterator = log.Scan(next, long.MaxValue, scanUncommitted: false);
        }
        finally
        {
            _receiveGate.Release();
        }
    }

    public async Task CloseAsync()
    {
        lock (_watermarkGate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
        }

        await _closing.CancelAsync();
        await _checkpointer;
        await PersistAsync(CancellationToken.None);
        await _receiveGate.WaitAsync();
        _iterator.Dispose();
        _receiveGate.Release();
    }

    private QueueDelivery? TakeAvailable(int maxEvents)
    {
        List<QueueEntry>? entries = null;
        var events = 0;
        var end = 0L;
        while (events < maxEvents && _iterator.GetNext(out byte[] bytes, out var length, out var address, out var next))
        {
            // Decoded where it is used (the apply, the archive's flush): until then the delivery holds the bytes alone.
            var entry = QueueEntry.Undecoded(address.ToString(CultureInfo.InvariantCulture), bytes.AsMemory(0, length), 1);
            entries ??= [];
            entries.Add(entry);
            events += entry.EventCount;
            end = next;
        }

        if (entries is null)
        {
            return null;
        }

        AckWatermark.Pending pending;
        lock (_watermarkGate)
        {
            pending = _watermark.Track(end, events);
        }

        return new QueueDelivery(entries, new DeliveryToken(this, pending));
    }

    /// <summary>
    /// Writes the watermark every interval until the state closes. A failed write (a full disk) is retried on the next
    /// tick: acks go on meanwhile, and what a crash would deliver again grows until a write succeeds.
    /// </summary>
    private async Task CheckpointPeriodicallyAsync()
    {
        using var timer = new PeriodicTimer(_checkpointInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token))
            {
                try
                {
                    await PersistAsync(_closing.Token);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // A full or failing disk: the position stays in memory and the next tick writes it.
                }
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
        }
    }

    /// <summary>Writes the watermark if it moved past what is on disk. Concurrent callers share one write.</summary>
    private async Task PersistAsync(CancellationToken cancellationToken)
    {
        await _persistGate.WaitAsync(cancellationToken);
        try
        {
            ConsumerCheckpoint position;
            lock (_watermarkGate)
            {
                position = _watermark.Position;
            }

            if (position.Address <= _persisted.Address)
            {
                return;
            }

            await DurableFile.WriteAtomicallyAsync(_queue.CheckpointPath(Name), position.Serialize(), cancellationToken);
            _persisted = position;
            _queue.OnPersisted(Name, position);
        }
        finally
        {
            _persistGate.Release();
        }
    }

    /// <summary>What a delivery carries so that its acknowledgement finds its place in the watermark.</summary>
    internal sealed record DeliveryToken(ConsumerState State, AckWatermark.Pending Pending);
}
