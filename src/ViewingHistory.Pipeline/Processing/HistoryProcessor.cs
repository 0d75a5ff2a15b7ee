using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Pipeline.Processing.Sharding;
using ViewingHistory.Queue;
using ViewingHistory.Store;
using ViewingHistory.Store.Sharding;

namespace ViewingHistory.Pipeline.Processing;

/// <summary>
/// Drains one durable consumer into one store (DESIGN.md principles 3–5). A receive loop reads deliveries while the
/// current apply runs, up to <see cref="ProcessorOptions.MaxBatchEvents"/> events in all; the next apply takes every
/// delivery read so far as one group, so it holds what arrived during the apply before it. The group's events are
/// split by a stable hash of memberId among the workers, reduced in memory per session, and applied by each worker in
/// one store transaction; one member's rows are never written by two workers at once. What happens when an apply fails
/// is the <see cref="DeliveryPolicy"/>'s; each delivery of the group is acknowledged once the policy has settled every
/// entry (applied, or dead-lettered), that is only after every worker's transaction committed.
/// </summary>
public sealed partial class HistoryProcessor
{
    private readonly ProcessorTarget _target;
    private readonly ProcessorOptions _options;
    private readonly VhMetrics _metrics;
    private readonly OptionsInForce<PipelineOptions> _pipeline;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RetryLog _receives;
    private readonly ConsumptionControl _control;
    private readonly DeliveryPolicy _policy;
    private readonly IDeadLetterQueue _deadLetters;
    private ShardedApply? _sharded;
    private readonly ErasureFilter _erasures = new();

    /// <summary>A processor of <paramref name="target"/>; its dead letters go to <paramref name="deadLetters"/>.</summary>
    public HistoryProcessor(
        ProcessorTarget target,
        IDeadLetterQueue deadLetters,
        ProcessorOptions options,
        VhMetrics metrics,
        OptionsInForce<PipelineOptions> pipeline,
        TimeProvider time,
        ILogger logger,
        ConsumptionControl control)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = target;
        _options = options;
        _metrics = metrics;
        _pipeline = pipeline;
        _time = time;
        _logger = logger;
        _receives = new RetryLog(logger, $"Consumer {target.ConsumerName}: receiving", LogLevel.Warning, time);
        _control = control;
        _deadLetters = deadLetters;
        _policy = new DeliveryPolicy(target, ApplyAsync, deadLetters, options, metrics, time, logger);
    }

    /// <summary>
    /// Drains <paramref name="consumer"/> until <paramref name="stopping"/> fires, then finishes the deliveries already
    /// read (bounded by <paramref name="drain"/>).
    /// </summary>
    public async Task RunAsync(IQueueConsumer consumer, CancellationToken stopping, CancellationToken drain)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        if (_target.IsPrimary)
        {
            _metrics.ObserveLag(consumer);
        }

        // Over several store shards, a down shard's part of a delivery is held while the loop reads on (ShardedApply).
        await using var sharded = _target.Store is ShardedHistoryStore { ShardCount: > 1 } shards
            ? new ShardedApply(_target, shards, _erasures, consumer, _deadLetters, _options, _metrics, _time, _logger)
            : null;
        _sharded = sharded;
        // Per run: when this run fails, the supervisor runs it again on a fresh consumer, and nothing read by this
        // one (nor its receive loop, which ends with it) may reach the next.
        var readAhead = new ReadAhead();
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var receiving = ReceiveLoopAsync(consumer, readAhead, ended.Token);
        try
        {
            var group = new List<QueueDelivery>();
            while (await readAhead.Deliveries.Reader.WaitToReadAsync(drain))
            {
                // Everything read so far goes into this apply: what arrived while the previous one ran.
                group.Clear();
                var events = 0;
                while (events < _options.MaxBatchEvents && readAhead.Deliveries.Reader.TryRead(out var read))
                {
                    group.Add(read.Delivery);
                    events += read.Events;
                }

                Interlocked.Add(ref readAhead.PendingEvents, -events);
                if (readAhead.Taken.CurrentCount == 0)
                {
                    readAhead.Taken.Release(); // a signal, not a count: only this loop releases, so it never passes 1
                }

                await _policy.SettleAsync(consumer, group, drain);
                foreach (var delivery in group)
                {
                    await (sharded is null ? consumer.AckAsync(delivery, drain).AsTask() : sharded.SettledAsync(delivery, drain));
                }
            }
        }
        finally
        {
            await ended.CancelAsync();
            await receiving;
        }
    }

    /// <summary>The deliveries one run read ahead of its applies (bounded by <see cref="PendingEvents"/>), with their event counts.</summary>
    private sealed class ReadAhead
    {
        public Channel<(QueueDelivery Delivery, int Events)> Deliveries { get; } = Channel.CreateUnbounded<(QueueDelivery, int)>(
            new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

        /// <summary>Released when the applies take what was read.</summary>
        public SemaphoreSlim Taken { get; } = new(0);

        public int PendingEvents;
    }

    private async Task ReceiveLoopAsync(IQueueConsumer consumer, ReadAhead readAhead, CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await _control.WaitWhilePausedAsync(Timeout.InfiniteTimeSpan, _time, stopping);

                // Read while the current apply runs, so the next one starts with what arrived meanwhile (end-to-end
                // latency: a delivery read once, at the start of an apply, and applied after it, waited two applies
                // and a half; read until the next apply starts, one and a half), but at most MaxBatchEvents ahead. With
                // something already read, wait up to MaxBatchWait (or until the apply takes it) before reading again:
                // a busy log is read in fuller deliveries, not one per entry appended.
                var pending = Volatile.Read(ref readAhead.PendingEvents);
                if (pending >= _options.MaxBatchEvents)
                {
                    await readAhead.Taken.WaitAsync(stopping);
                    continue;
                }

                if (pending > 0)
                {
                    await readAhead.Taken.WaitAsync(_options.MaxBatchWait, stopping);
                    pending = Volatile.Read(ref readAhead.PendingEvents);
                }

                QueueDelivery delivery;
                try
                {
                    delivery = await consumer.ReceiveAsync(_options.MaxBatchEvents - pending, _options.MaxBatchWait, stopping);
                    _receives.Succeeded();
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested && FailureClassifier.IsTransient(ex))
                {
                    _receives.Failed(ex, "retrying in 0.5 s");
                    await Task.Delay(TimeSpan.FromMilliseconds(500), _time, stopping);
                    continue;
                }

                if (delivery.Entries.Count > 0)
                {
                    var events = delivery.EventCount;
                    Interlocked.Add(ref readAhead.PendingEvents, events);
                    readAhead.Deliveries.Writer.TryWrite((delivery, events)); // unbounded: never refused while not completed
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        finally
        {
            readAhead.Deliveries.Writer.TryComplete();
        }
    }

    /// <summary>
    /// Applies the entries, each worker's part in one store transaction. What follows the commits (metrics) runs in
    /// <see cref="AfterCommit"/>: an exception there must never make a committed batch look failed.
    /// </summary>
    private async Task ApplyAsync(IReadOnlyList<QueueEntry> entries, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var workers = _options.Workers;
        var parts = new List<PlaybackEvent>[workers];
        var events = 0;
        foreach (var entry in entries)
        {
            foreach (var e in entry.Batch!.Events)
            {
                var p = workers == 1 ? 0 : MemberHash.Partition(e.MemberId, workers);
                (parts[p] ??= []).Add(e);
                events++;
            }
        }

        // The store's spans (Npgsql's commands, the SQLite transaction) become its children.
        using var activity = ApplyTracing.Start(_target.ConsumerName, entries, events);
        var applies = new List<Task<ApplyResult>>(workers);
        if (_sharded is { } sharded)
        {
            applies.Add(sharded.ApplyAsync(entries, cancellationToken)); // one transaction per shard instead
            parts = [];
        }

        foreach (var part in parts)
        {
            if (part is not null)
            {
                applies.Add(_erasures.ApplyAsync(_target.Store, part, cancellationToken));
            }
        }

        var results = await Task.WhenAll(applies);
        AfterCommit.Run(_logger, _target.ConsumerName, () =>
        {
            _metrics.Processed(events, results.Sum(r => r.SessionsWritten));
            _metrics.Applied(events, _time.GetElapsedTime(started));
            if (_target.IsPrimary)
            {
                RecordEndToEnd(entries);
            }
        });
    }

    private void RecordEndToEnd(IReadOnlyList<QueueEntry> entries)
    {
        // Events on the sync path were visible at their 202; only the async path's visibility is measured here. This
        // runs after the store commit, so it reads the options in force, which never throw: a failure here would make
        // an applied batch look failed.
        var current = _pipeline.Current;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var entry in entries)
        {
            var batch = entry.Batch!;
            if (batch.Events.Count > 0 && !current.IsSyncPath(batch.Events[0].MemberId))
            {
                _metrics.EndToEnd(TimeSpan.FromMilliseconds(now - batch.AcceptedAtMs));
            }
        }
    }
}
