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
/// Drains one durable consumer into one store (DESIGN.md principles 3–5). A receive loop fetches deliveries
/// (up to <see cref="ProcessorOptions.MaxBatchEvents"/> events or <see cref="ProcessorOptions.MaxBatchWait"/>)
/// into a small bounded channel, so the next batch is read while the current one is written. Each delivery is
/// split by a stable hash of memberId among the workers, reduced in memory per session, and applied by each
/// worker in one store transaction; one member's rows are never written by two workers at once. What happens when an
/// apply fails is the <see cref="DeliveryPolicy"/>'s; the delivery is acknowledged once the policy has settled every
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
    private readonly ConsumptionControl _control;
    private readonly DeliveryPolicy _policy;
    private readonly IDeadLetterQueue _deadLetters;
    private ShardedApply? _sharded;
    private readonly ErasureFilter _erasures = new();
    // One delivery read ahead, taken only once the previous one left the channel (see ReceiveLoopAsync).
    private readonly Channel<QueueDelivery> _deliveries = Channel.CreateBounded<QueueDelivery>(
        new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });

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
        var receiving = ReceiveLoopAsync(consumer, stopping);
        await foreach (var delivery in _deliveries.Reader.ReadAllAsync(drain))
        {
            await _policy.SettleAsync(consumer, delivery, drain);
            await (sharded is null ? consumer.AckAsync(delivery, drain).AsTask() : sharded.SettledAsync(delivery, drain));
        }

        await receiving;
    }

    private async Task ReceiveLoopAsync(IQueueConsumer consumer, CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await _control.WaitWhilePausedAsync(Timeout.InfiniteTimeSpan, _time, stopping);

                // Read only when the channel has room: a delivery taken while another already waits would sit there
                // too, small (what had arrived so far) and late. Waiting lets the log gather what arrives during the
                // current apply into the next delivery: fewer, fuller transactions when busy, and less queued ahead of
                // an event (end-to-end latency; with room for 2 and one held, 3 deliveries waited in front of it).
                if (!await _deliveries.Writer.WaitToWriteAsync(stopping))
                {
                    break;
                }

                QueueDelivery delivery;
                try
                {
                    delivery = await consumer.ReceiveAsync(_options.MaxBatchEvents, _options.MaxBatchWait, stopping);
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested && FailureClassifier.IsTransient(ex))
                {
                    LogReceiveFailed(ex, _target.ConsumerName);
                    await Task.Delay(TimeSpan.FromMilliseconds(500), _time, stopping);
                    continue;
                }

                if (delivery.Entries.Count > 0)
                {
                    await _deliveries.Writer.WriteAsync(delivery, stopping);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        finally
        {
            _deliveries.Writer.TryComplete();
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: receive failed; retrying")]
    private partial void LogReceiveFailed(Exception exception, string consumer);
}
