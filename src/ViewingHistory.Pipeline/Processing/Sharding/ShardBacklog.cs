using Microsoft.Extensions.Logging;
using ViewingHistory.Core.Events;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Queue;

namespace ViewingHistory.Pipeline.Processing.Sharding;

/// <summary>
/// The parts held for one store shard that could not take them (<see cref="ShardedApply"/>). While it holds any, one loop
/// retries them all in one transaction with capped, jittered backoff (it is the only one trying the shard); when that
/// commits, each part's entries are released (their deliveries acknowledged once nothing else of them is held). A failure
/// that is not the shard's state sends each part through a <see cref="DeliveryPolicy"/> of its own against the shard,
/// which proves and dead-letters poison exactly as for one store.
/// </summary>
internal sealed partial class ShardBacklog : IAsyncDisposable
{
    private readonly int _shard;
    private readonly Func<string, int> _shardOf;
    private readonly ProcessorTarget _target;
    private readonly ErasureFilter _erasures;
    private readonly IQueueConsumer _consumer;
    private readonly ProcessorOptions _options;
    private readonly VhMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<QueueEntry, QueueDelivery?> _findDelivery;
    private readonly Func<IReadOnlyList<QueueEntry>, CancellationToken, Task> _release;
    private readonly DeliveryPolicy _policy;
    private readonly Lock _gate = new();
    private readonly List<Part> _parts = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _draining = Task.CompletedTask;

    public ShardBacklog(
        int shard,
        Func<string, int> shardOf,
        ProcessorTarget target,
        ErasureFilter erasures,
        IQueueConsumer consumer,
        IDeadLetterQueue deadLetters,
        ProcessorOptions options,
        VhMetrics metrics,
        TimeProvider time,
        ILogger logger,
        Func<QueueEntry, QueueDelivery?> findDelivery,
        Func<IReadOnlyList<QueueEntry>, CancellationToken, Task> release)
    {
        _shard = shard;
        _shardOf = shardOf;
        _target = target;
        _erasures = erasures;
        _consumer = consumer;
        _options = options;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _findDelivery = findDelivery;
        _release = release;
        _policy = new DeliveryPolicy(target, ApplyPartAsync, deadLetters, options, metrics, time, logger);
    }

    /// <summary>Holds the part when the backlog already holds others (the shard is down or catching up); false otherwise.</summary>
    public bool TryHold(List<PlaybackEvent> events, IReadOnlyList<QueueEntry> entries, Action<IReadOnlyList<QueueEntry>> count)
    {
        lock (_gate)
        {
            if (_parts.Count == 0)
            {
                return false;
            }

            Add(events, entries, count);
            EnsureDraining();
            return true;
        }
    }

    /// <summary>Holds the part; starts the retry loop when it is the first.</summary>
    public void Hold(List<PlaybackEvent> events, IReadOnlyList<QueueEntry> entries, Action<IReadOnlyList<QueueEntry>> count)
    {
        lock (_gate)
        {
            Add(events, entries, count);
            EnsureDraining();
        }
    }

    /// <summary>Starts the retry loop unless it runs (under the gate): held parts always have a loop trying them.</summary>
    private void EnsureDraining()
    {
        if (_draining.IsCompleted && !_stopping.IsCancellationRequested)
        {
            _draining = DrainAsync(_stopping.Token);
        }
    }

    private void Add(List<PlaybackEvent> events, IReadOnlyList<QueueEntry> entries, Action<IReadOnlyList<QueueEntry>> count)
    {
        // Counted before the part is visible to the loop, so its release can never come before its count.
        count(entries);
        _parts.Add(new Part(events, entries));
    }

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        var attempt = 0;
        try
        {
            while (true)
            {
                await Task.Delay(Backoff(attempt), _time, cancellationToken);
                Part[] parts;
                lock (_gate)
                {
                    parts = [.. _parts];
                }

                if (!await TryCommitAsync(parts, cancellationToken))
                {
                    attempt++;
                    continue;
                }

                attempt = 0;
                lock (_gate)
                {
                    _parts.RemoveAll(p => Array.IndexOf(parts, p) >= 0);
                }

                foreach (var part in parts)
                {
                    await ReleaseAsync(part, cancellationToken);
                }

                lock (_gate)
                {
                    if (_parts.Count == 0)
                    {
                        LogCaughtUp(_target.ConsumerName, _shard);
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: whatever is held was not acknowledged and comes again.
        }
        catch (Exception ex)
        {
            // Never expected (every step handles its failures); held parts must not wait for a loop that is gone: the
            // next part held starts another, and one starts now for those already here.
            LogLoopFailed(ex, _target.ConsumerName, _shard);
            lock (_gate)
            {
                if (_parts.Count > 0 && !cancellationToken.IsCancellationRequested)
                {
                    _draining = DrainAsync(cancellationToken);
                }
            }
        }
    }

    /// <summary>Releases a committed part; a failure there (never expected: acknowledgement failures are handled where they happen) must not stop the other parts' release.</summary>
    private async Task ReleaseAsync(Part part, CancellationToken cancellationToken)
    {
        try
        {
            await _release(part.Entries, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogReleaseFailed(ex, _target.ConsumerName, _shard);
        }
    }

    /// <summary>True when every part is committed (or, for poison, dead-lettered); false to try again later.</summary>
    private async Task<bool> TryCommitAsync(Part[] parts, CancellationToken cancellationToken)
    {
        try
        {
            var events = parts.SelectMany(p => p.Events).ToList();
            var result = await _erasures.ApplyAsync(_target.Store, events, cancellationToken);
            AfterCommit.Run(_logger, _target.ConsumerName, () => _metrics.Processed(events.Count, result.SessionsWritten));
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && FailureClassifier.IsTransient(ex))
        {
            LogStillDown(ex, _target.ConsumerName, _shard, parts.Length);
            return false;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogSettlingOneByOne(ex, _target.ConsumerName, _shard);
        }

        foreach (var part in parts)
        {
            // A part holds the entries of every delivery its processor applied together: all are kept alive meanwhile.
            var deliveries = new List<QueueDelivery>();
            foreach (var entry in part.Entries)
            {
                if (_findDelivery(entry) is not { } delivery)
                {
                    return false; // its processor has not handed the delivery over yet: next round
                }

                if (!deliveries.Contains(delivery))
                {
                    deliveries.Add(delivery);
                }
            }

            await _policy.SettleAsync(_consumer, part.Entries, deliveries, cancellationToken);
        }

        return true;
    }

    /// <summary>The policy's apply: the events of <paramref name="entries"/> whose members live on this shard.</summary>
    private async Task ApplyPartAsync(IReadOnlyList<QueueEntry> entries, CancellationToken cancellationToken)
    {
        var events = entries.SelectMany(e => e.Batch!.Events).Where(e => _shardOf(e.MemberId) == _shard).ToList();
        if (events.Count > 0)
        {
            await _erasures.ApplyAsync(_target.Store, events, cancellationToken);
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var capped = Math.Min(_options.MaxBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(attempt, 16)));
        return TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        Task draining;
        lock (_gate)
        {
            draining = _draining;
        }

        await draining;
        _stopping.Dispose();
    }

    private sealed record Part(List<PlaybackEvent> Events, IReadOnlyList<QueueEntry> Entries);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: shard {Shard} still cannot take its {Parts} held parts; retrying")]
    private partial void LogStillDown(Exception exception, string consumer, int shard, int parts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: shard {Shard} refused its held parts (not the store's state); settling them one by one")]
    private partial void LogSettlingOneByOne(Exception exception, string consumer, int shard);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer}: releasing a committed part of shard {Shard} failed; its delivery comes again from the queue")]
    private partial void LogReleaseFailed(Exception exception, string consumer, int shard);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer}: the retry loop of shard {Shard} failed; starting it again")]
    private partial void LogLoopFailed(Exception exception, string consumer, int shard);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer {Consumer}: shard {Shard} took every held part")]
    private partial void LogCaughtUp(string consumer, int shard);
}
