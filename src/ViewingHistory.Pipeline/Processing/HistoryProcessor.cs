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
                // The bytes themselves are at fault: no store is involved in that verdict.
                await DeadLetterAsync(consumer, delivery, entry, $"Undecodable entry: {entry.DecodeError}", cancellationToken);
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
                // crash or ack timeout during the retries would lose them, so the poison is isolated now. A store-state
                // failure is held there too, with in-progress acks, for as long as it lasts.
                await IsolatePoisonAsync(consumer, delivery, good, cancellationToken);
                return;
            }
        }

        var permanentFailures = 1;
        var retry = HoldingRetry(consumer, delivery, good.Count, () => ++permanentFailures < options.MaxAttempts && !OnLastDelivery(consumer, good), cancellationToken);

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
                await KeepAliveAsync(consumer, delivery, cancellationToken);
            },
        }).Build();

    /// <summary>
    /// Extends the delivery's ack deadline. A queue that cannot take it now must not end the hold: at worst the
    /// delivery comes again (to this or another processor), and applying it twice is harmless.
    /// </summary>
    private async Task KeepAliveAsync(IQueueConsumer consumer, QueueDelivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            await consumer.KeepAliveAsync(delivery, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && FailureClassifier.IsTransient(ex))
        {
            LogKeepAliveFailed(ex, consumerName);
        }
    }

    private static bool OnLastDelivery(IQueueConsumer consumer, List<QueueEntry> entries) =>
        consumer.MaxDeliveries is { } max && entries.Exists(e => e.DeliveryCount >= max);

    /// <summary>
    /// After a batch failed with a non-transient error <see cref="ProcessorOptions.MaxAttempts"/> times (or once, on its
    /// last delivery), apply its entries one by one. An entry is dead-lettered only when it is shown to be at fault
    /// (DESIGN.md, "What permanent means"): it fails alone, the store then commits a write of its own
    /// (<see cref="IHistoryStore.ProbeWriteAsync"/>), and the entry fails alone again with the store still accepting
    /// writes. A store that refuses the probe makes the failure the store's: the entry is held (in-progress acks, capped
    /// backoff) and retried for as long as that lasts, also on a last delivery. Transient failures are retried here,
    /// holding the delivery, rather than left to a redelivery that may never come.
    /// </summary>
    private async Task IsolatePoisonAsync(IQueueConsumer consumer, QueueDelivery delivery, List<QueueEntry> entries, CancellationToken cancellationToken)
    {
        var transientRetry = HoldingRetry(consumer, delivery, 1, retryPermanent: () => false, cancellationToken);
        foreach (var entry in entries)
        {
            var failuresWithWorkingStore = 0;
            var held = 0;
            while (true)
            {
                try
                {
                    await transientRetry.ExecuteAsync(async ct => await ApplyAsync([entry], ct), cancellationToken);
                    break;
                }
                catch (Exception ex) when (!FailureClassifier.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
                {
                    if (!await StoreAcceptsWritesAsync(cancellationToken))
                    {
                        LogHeldForStore(ex, consumerName, entry.Id);
                        await HoldAsync(consumer, delivery, held++, cancellationToken);
                        failuresWithWorkingStore = 0;
                        continue;
                    }

                    // Twice, with a working store after each: a store that recovered just before the probe cannot
                    // make a failure of its own look like the entry's.
                    if (++failuresWithWorkingStore < 2)
                    {
                        continue;
                    }

                    await DeadLetterAsync(consumer, delivery, entry, $"{ex.GetType().Name}: {ex.Message}", cancellationToken);
                    break;
                }
            }
        }
    }

    /// <summary>True when the store commits a probe write now; any failure of the probe says it does not.</summary>
    private async Task<bool> StoreAcceptsWritesAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.ProbeWriteAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogProbeFailed(ex, consumerName);
            return false;
        }
    }

    /// <summary>Waits out a store-state failure with capped, jittered exponential backoff, holding the delivery.</summary>
    private async Task HoldAsync(IQueueConsumer consumer, QueueDelivery delivery, int attempt, CancellationToken cancellationToken)
    {
        await KeepAliveAsync(consumer, delivery, cancellationToken);
        var capped = Math.Min(options.MaxBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(attempt, 16)));
        var delay = TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() / 2)));
        await Task.Delay(delay, time, cancellationToken);
    }

    /// <summary>
    /// Records a dead letter. The queue failing to take it (transient) is retried while holding the delivery: giving up
    /// would leave the entry neither applied nor dead-lettered, and on a last delivery nothing would bring it back.
    /// </summary>
    private async Task DeadLetterAsync(IQueueConsumer consumer, QueueDelivery delivery, QueueEntry entry, string reason, CancellationToken cancellationToken)
    {
        LogDeadLettered(consumerName, entry.Id, reason);
        var attempt = 0;
        while (true)
        {
            try
            {
                await queue.DeadLetters.AddAsync(entry, reason, cancellationToken);
                break;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && FailureClassifier.IsTransient(ex))
            {
                LogDeadLetterFailed(ex, consumerName, entry.Id);
                await HoldAsync(consumer, delivery, attempt++, cancellationToken);
            }
        }

        AfterCommit(() => metrics.DeadLettered(1));
    }

    /// <summary>
    /// Applies the entries, each worker's part in one store transaction. What follows the commits (metrics) runs in
    /// <see cref="AfterCommit"/>: an exception there must never make a committed batch look failed, which would retry
    /// it and, worse, dead-letter entries that are applied.
    /// </summary>
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
        AfterCommit(() =>
        {
            metrics.Processed(events, results.Sum(r => r.SessionsWritten));
            metrics.Applied(events, time.GetElapsedTime(started));
            if (isPrimary)
            {
                RecordEndToEnd(entries);
            }
        });
    }

    /// <summary>
    /// Bookkeeping after a commit: logged when it fails, never thrown into the fate of the delivery (whatever fails
    /// here, the effect is committed and the delivery's fate is decided).
    /// </summary>
    private void AfterCommit(Action bookkeeping)
    {
        try
        {
            bookkeeping();
        }
        catch (Exception ex)
        {
            LogBookkeepingFailed(ex, consumerName);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: the store refuses a probe write, so entry {EntryId} is not at fault; holding it until the store accepts writes")]
    private partial void LogHeldForStore(Exception exception, string consumer, string entryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: the store's probe write failed")]
    private partial void LogProbeFailed(Exception exception, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: extending the delivery failed; holding it all the same")]
    private partial void LogKeepAliveFailed(Exception exception, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: recording entry {EntryId} as a dead letter failed; retrying")]
    private partial void LogDeadLetterFailed(Exception exception, string consumer, string entryId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer}: bookkeeping after a commit failed; the batch stays applied")]
    private partial void LogBookkeepingFailed(Exception exception, string consumer);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer}: entry {EntryId} dead-lettered: {Reason}")]
    private partial void LogDeadLettered(string consumer, string entryId, string reason);
}
