using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Queue;
using ViewingHistory.Store;

namespace ViewingHistory.Pipeline.Processing;

/// <summary>
/// Drains one durable consumer into one store (DESIGN.md principles 3–5). A receive loop fetches deliveries
/// (up to <see cref="ProcessorOptions.MaxBatchEvents"/> events or <see cref="ProcessorOptions.MaxBatchWait"/>)
/// into a small bounded channel, so the next batch is read while the current one is written. Each delivery is
/// split by a stable hash of memberId among the workers, reduced in memory per session, and applied by each
/// worker in one store transaction; one member's rows are never written by two workers at once. The delivery is
/// acknowledged only after every worker's transaction committed.
/// </summary>
public sealed partial class HistoryProcessor(
    string consumerName,
    IEventQueue queue,
    IHistoryStore store,
    ProcessorOptions options,
    VhMetrics metrics,
    OptionsInForce<PipelineOptions> pipeline,
    TimeProvider time,
    ILogger logger,
    bool isPrimary,
    ConsumptionControl control)
{
    private readonly Channel<QueueDelivery> _deliveries = Channel.CreateBounded<QueueDelivery>(
        new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });

    /// <summary>Runs until <paramref name="stopping"/> fires, then finishes the deliveries already read (bounded by <paramref name="drain"/>).</summary>
    public async Task RunAsync(CancellationToken stopping, CancellationToken drain)
    {
        await using var consumer = queue.OpenConsumer(consumerName);
        if (isPrimary)
        {
            metrics.ObserveLag(() => consumer.LagEvents);
        }

        var receiving = ReceiveLoopAsync(consumer, stopping);
        await foreach (var delivery in _deliveries.Reader.ReadAllAsync(drain))
        {
            await ProcessAsync(consumer, delivery, drain);
            await consumer.AckAsync(delivery, drain);
        }

        await receiving;
    }

    private async Task ReceiveLoopAsync(IQueueConsumer consumer, CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await control.WaitWhilePausedAsync(Timeout.InfiniteTimeSpan, time, stopping);
                QueueDelivery delivery;
                try
                {
                    delivery = await consumer.ReceiveAsync(options.MaxBatchEvents, options.MaxBatchWait, stopping);
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested && FailureClassifier.IsTransient(ex))
                {
                    LogReceiveFailed(ex, consumerName);
                    await Task.Delay(TimeSpan.FromMilliseconds(500), time, stopping);
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

    private async Task ProcessAsync(IQueueConsumer consumer, QueueDelivery delivery, CancellationToken cancellationToken)
    {
        var good = new List<QueueEntry>(delivery.Entries.Count);
        foreach (var entry in delivery.Entries)
        {
            if (entry.Batch is null)
            {
                await DeadLetterAsync(entry, $"Undecodable entry: {entry.DecodeError}", cancellationToken);
            }
            else
            {
                good.Add(entry);
            }
        }

        if (good.Count == 0)
        {
            return;
        }

        try
        {
            await ApplyAsync(good, cancellationToken);
            return;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogApplyFailed(ex, consumerName, good.Count, FailureClassifier.IsTransient(ex));
            if (!FailureClassifier.IsTransient(ex) && OnLastDelivery(consumer, good))
            {
                // The engine will not deliver these entries again (JetStream's MaxDeliver stops silently): another
                // crash or ack timeout during the retries would lose them, so the poison goes to the DLQ now.
                await IsolatePoisonAsync(consumer, delivery, good, cancellationToken);
                return;
            }
        }

        var permanentFailures = 1;
        var retry = HoldingRetry(consumer, delivery, good.Count, () => ++permanentFailures < options.MaxAttempts, cancellationToken);

        try
        {
            await retry.ExecuteAsync(async ct => await ApplyAsync(good, ct), cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !FailureClassifier.IsTransient(ex))
        {
            await IsolatePoisonAsync(consumer, delivery, good, cancellationToken);
        }
    }

    /// <summary>
    /// Retries an apply with jittered exponential backoff while holding the delivery with in-progress acks: transient
    /// failures always, permanent ones while <paramref name="retryPermanent"/> says so.
    /// </summary>
    private ResiliencePipeline HoldingRetry(IQueueConsumer consumer, QueueDelivery delivery, int entries, Func<bool> retryPermanent, CancellationToken cancellationToken) =>
        new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = options.MaxBackoff,
            MaxRetryAttempts = int.MaxValue,
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } ex && !cancellationToken.IsCancellationRequested &&
                (FailureClassifier.IsTransient(ex) || retryPermanent())),
            OnRetry = async args =>
            {
                LogApplyFailed(args.Outcome.Exception!, consumerName, entries, FailureClassifier.IsTransient(args.Outcome.Exception!));
                await consumer.KeepAliveAsync(delivery, cancellationToken);
            },
        }).Build();

    private static bool OnLastDelivery(IQueueConsumer consumer, List<QueueEntry> entries) =>
        consumer.MaxDeliveries is { } max && entries.Exists(e => e.DeliveryCount >= max);

    /// <summary>
    /// After a batch failed permanently <see cref="ProcessorOptions.MaxAttempts"/> times, apply its entries one by
    /// one: the ones that still fail permanently go to the dead-letter queue with their error, so they never block
    /// the events behind them. Transient failures are retried here, holding the delivery, rather than left to a
    /// redelivery that may never come (an entry on its last delivery).
    /// </summary>
    private async Task IsolatePoisonAsync(IQueueConsumer consumer, QueueDelivery delivery, List<QueueEntry> entries, CancellationToken cancellationToken)
    {
        var transientRetry = HoldingRetry(consumer, delivery, 1, retryPermanent: () => false, cancellationToken);
        foreach (var entry in entries)
        {
            try
            {
                await transientRetry.ExecuteAsync(async ct => await ApplyAsync([entry], ct), cancellationToken);
            }
            catch (Exception ex) when (!FailureClassifier.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                await DeadLetterAsync(entry, $"{ex.GetType().Name}: {ex.Message}", cancellationToken);
            }
        }
    }

    private async Task DeadLetterAsync(QueueEntry entry, string reason, CancellationToken cancellationToken)
    {
        LogDeadLettered(consumerName, entry.Id, reason);
        await queue.DeadLetters.AddAsync(entry, reason, cancellationToken);
        metrics.DeadLettered(1);
    }

    private async Task ApplyAsync(IReadOnlyList<QueueEntry> entries, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var workers = options.Workers;
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

        var applies = new List<Task<ApplyResult>>(workers);
        foreach (var part in parts)
        {
            if (part is not null)
            {
                applies.Add(store.ApplyAsync(BatchReducer.ReduceSessions(part), cancellationToken));
            }
        }

        var results = await Task.WhenAll(applies);
        metrics.Processed(events, results.Sum(r => r.SessionsWritten));
        metrics.Applied(events, time.GetElapsedTime(started));
        if (isPrimary)
        {
            RecordEndToEnd(entries);
        }
    }

    private void RecordEndToEnd(IReadOnlyList<QueueEntry> entries)
    {
        // Events on the sync path were visible at their 202; only the async path's visibility is measured here. This
        // runs after the store commit, so it reads the options in force, which never throw: a failure here would make
        // an applied batch look failed.
        var current = pipeline.Current;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var entry in entries)
        {
            var batch = entry.Batch!;
            if (batch.Events.Count > 0 && !current.IsSyncPath(batch.Events[0].MemberId))
            {
                metrics.EndToEnd(TimeSpan.FromMilliseconds(now - batch.AcceptedAtMs));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: receive failed; retrying")]
    private partial void LogReceiveFailed(Exception exception, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: applying {Entries} entries failed (transient: {Transient}); retrying")]
    private partial void LogApplyFailed(Exception exception, string consumer, int entries, bool transient);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer}: entry {EntryId} dead-lettered: {Reason}")]
    private partial void LogDeadLettered(string consumer, string entryId, string reason);
}
