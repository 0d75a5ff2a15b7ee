using Microsoft.Extensions.Logging;
using ViewingHistory.Core.Events;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Queue;
using ViewingHistory.Store;
using ViewingHistory.Store.Sharding;

namespace ViewingHistory.Pipeline.Processing.Sharding;

/// <summary>
/// The processor's apply over several store shards (<see cref="ShardedHistoryStore"/>): a shard that is down stalls only
/// its own members. Each delivery is split into one transaction per shard; the parts on healthy shards commit at once,
/// and the part of a shard that fails with the store's state (or has not answered within
/// <see cref="ProcessorOptions.ShardWait"/>) is held in that shard's <see cref="ShardBacklog"/>, which retries it with
/// capped backoff, while the processor goes on with later deliveries (their parts for that shard join the backlog
/// without trying the shard again). A delivery is acknowledged only when every part of it committed
/// (<see cref="SettledAsync"/>); held deliveries get in-progress acks until then, and at most
/// <see cref="ProcessorOptions.MaxHeldDeliveries"/> are held. A failure that is not the store's state is held the same
/// way: the backlog then settles each part through a <see cref="DeliveryPolicy"/> against that shard alone, which proves
/// poison against a shard that accepts a probe write and dead-letters only that (a probe of every shard would blame
/// the store, and hold the whole processor, whenever another shard is down).
/// </summary>
public sealed partial class ShardedApply : IAsyncDisposable
{
    private static readonly TimeSpan KeepAliveEvery = TimeSpan.FromSeconds(1);
    private readonly ShardedHistoryStore _store;
    private readonly ErasureFilter _erasures;
    private readonly IQueueConsumer _consumer;
    private readonly ProcessorOptions _options;
    private readonly VhMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _consumerName;
    private readonly ShardBacklog[] _backlogs;
    private readonly Lock _gate = new();
    private readonly Dictionary<QueueEntry, int> _outstanding = new(ReferenceEqualityComparer.Instance);
    private readonly List<QueueDelivery> _held = [];
    private readonly SemaphoreSlim _acks = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _keepingAlive;
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ShardedApply(
        ProcessorTarget target,
        ShardedHistoryStore store,
        ErasureFilter erasures,
        IQueueConsumer consumer,
        IDeadLetterQueue deadLetters,
        ProcessorOptions options,
        VhMetrics metrics,
        TimeProvider time,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(target);
        _store = store;
        _erasures = erasures;
        _consumer = consumer;
        _options = options;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _consumerName = target.ConsumerName;
        _backlogs = [.. Enumerable.Range(0, store.ShardCount).Select(i => new ShardBacklog(
            i, store.ShardOf, target with { Store = store.Shards[i] }, erasures, consumer, deadLetters, options, metrics, time, logger, FindDelivery, Release))];
        _keepingAlive = KeepAliveLoopAsync(_stopping.Token);
    }

    /// <summary>Deliveries waiting for a down shard.</summary>
    public int HeldDeliveries
    {
        get
        {
            lock (_gate)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>
    /// Applies <paramref name="entries"/>' events, one transaction per shard; a part whose shard does not take it now is
    /// held (and counts as done for this call: <see cref="SettledAsync"/> acknowledges the delivery once it committed).
    /// </summary>
    public async Task<ApplyResult> ApplyAsync(IReadOnlyList<QueueEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var parts = new List<PlaybackEvent>?[_backlogs.Length];
        foreach (var entry in entries)
        {
            foreach (var e in entry.Batch!.Events)
            {
                (parts[_store.ShardOf(e.MemberId)] ??= []).Add(e);
            }
        }

        var applies = new List<(int Shard, List<PlaybackEvent> Events, Task<ApplyResult> Apply)>();
        for (var shard = 0; shard < parts.Length; shard++)
        {
            if (parts[shard] is not { } events)
            {
                continue;
            }

            // A shard already holding parts is down or catching up: its backlog is the only one trying it.
            if (!_backlogs[shard].TryHold(events, entries, Hold))
            {
                applies.Add((shard, events, _erasures.ApplyAsync(_store.Shards[shard], events, cancellationToken)));
            }
        }

        var result = default(ApplyResult);
        using var waited = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var deadline = Task.Delay(_options.ShardWait, _time, waited.Token);
        foreach (var (shard, events, apply) in applies)
        {
            await Task.WhenAny(apply, deadline);
            if (apply.IsCompletedSuccessfully)
            {
                var r = await apply;
                result = new ApplyResult(result.SessionsWritten + r.SessionsWritten, result.ItemsChanged + r.ItemsChanged);
            }
            else if (apply.IsCanceled && cancellationToken.IsCancellationRequested)
            {
                await apply; // shutting down: the delivery is not acknowledged and comes again
            }
            else
            {
                // Not answered in time, the shard's state, or perhaps an entry's fault: the shard's backlog takes it (and
                // proves any poison against that shard alone). An apply still running may commit later; applying it
                // again from the backlog is then a no-op.
                _ = apply.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                LogHolding(apply.Exception?.GetBaseException(), _consumerName, shard, events.Count);
                _backlogs[shard].Hold(events, entries, Hold);
            }
        }

        await waited.CancelAsync();
        return result;
    }

    /// <summary>
    /// After the policy settled <paramref name="delivery"/>: acknowledges it now when no part of it is held, or once the
    /// last held part commits. Waits while <see cref="ProcessorOptions.MaxHeldDeliveries"/> are held.
    /// </summary>
    public async Task SettledAsync(QueueDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        while (true)
        {
            Task released;
            lock (_gate)
            {
                if (!delivery.Entries.Any(_outstanding.ContainsKey))
                {
                    break;
                }

                if (_held.Count < _options.MaxHeldDeliveries)
                {
                    _held.Add(delivery);
                    return;
                }

                released = _released.Task;
            }

            await released.WaitAsync(cancellationToken);
        }

        await AckAsync(delivery, cancellationToken);
    }

    /// <summary>Counts a held part against each of its entries (under the gate: <see cref="SettledAsync"/> reads them).</summary>
    private void Hold(IReadOnlyList<QueueEntry> entries)
    {
        lock (_gate)
        {
            foreach (var entry in entries)
            {
                _outstanding[entry] = _outstanding.GetValueOrDefault(entry) + 1;
            }
        }
    }

    /// <summary>A held part committed: acknowledges every delivery that has nothing held any more.</summary>
    private async Task Release(IReadOnlyList<QueueEntry> entries, CancellationToken cancellationToken)
    {
        List<QueueDelivery> free;
        lock (_gate)
        {
            foreach (var entry in entries)
            {
                if (_outstanding.TryGetValue(entry, out var n))
                {
                    if (n <= 1)
                    {
                        _outstanding.Remove(entry);
                    }
                    else
                    {
                        _outstanding[entry] = n - 1;
                    }
                }
            }

            free = _held.FindAll(d => !d.Entries.Any(_outstanding.ContainsKey));
            _held.RemoveAll(free.Contains);
            if (free.Count > 0)
            {
                _released.TrySetResult();
                _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        foreach (var delivery in free)
        {
            try
            {
                await AckAsync(delivery, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && FailureClassifier.IsTransient(ex))
            {
                // The queue is unreachable (a NATS node failing over): the delivery is committed and no longer held, so
                // nothing extends it; the queue delivers it again after its ack wait and applying it again is a no-op.
                // The other deliveries freed here are still acknowledged.
                LogAckFailed(ex, _consumerName);
            }
        }
    }

    /// <summary>The held delivery an entry came in (null while the processor has not handed it over yet).</summary>
    private QueueDelivery? FindDelivery(QueueEntry entry)
    {
        lock (_gate)
        {
            return _held.Find(d => d.Entries.Contains(entry));
        }
    }

    private async Task AckAsync(QueueDelivery delivery, CancellationToken cancellationToken)
    {
        // The processor's loop and the backlogs acknowledge concurrently: one at a time on the consumer.
        await _acks.WaitAsync(cancellationToken);
        try
        {
            await _consumer.AckAsync(delivery, cancellationToken);
        }
        finally
        {
            _acks.Release();
        }
    }

    /// <summary>
    /// In-progress acks for every held delivery, every second or the policy's longest backoff if shorter: well inside any
    /// ack wait a deployment sets (the chaos tests use 3 s). A held delivery's messages are at most MaxAckPending.
    /// </summary>
    private async Task KeepAliveLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_options.MaxBackoff < KeepAliveEvery ? _options.MaxBackoff : KeepAliveEvery, _time, cancellationToken);
                QueueDelivery[] held;
                lock (_gate)
                {
                    held = [.. _held];
                }

                foreach (var delivery in held)
                {
                    try
                    {
                        await _consumer.KeepAliveAsync(delivery, cancellationToken);
                    }
                    catch (Exception ex) when (!cancellationToken.IsCancellationRequested && FailureClassifier.IsTransient(ex))
                    {
                        LogKeepAliveFailed(ex, _consumerName);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _keepingAlive;
        foreach (var backlog in _backlogs)
        {
            await backlog.DisposeAsync();
        }

        _stopping.Dispose();
        _acks.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: shard {Shard} did not take its part ({Events} events); holding it and going on with the other shards' members")]
    private partial void LogHolding(Exception? exception, string consumer, int shard, int events);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: acknowledging a delivery whose held parts committed failed; the queue delivers it again and applying it again is a no-op")]
    private partial void LogAckFailed(Exception exception, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: extending a held delivery failed; holding it all the same")]
    private partial void LogKeepAliveFailed(Exception exception, string consumer);
}
