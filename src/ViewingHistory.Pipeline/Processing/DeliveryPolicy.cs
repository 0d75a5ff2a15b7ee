using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Queue;
using ViewingHistory.Store;

namespace ViewingHistory.Pipeline.Processing;

/// <summary>
/// Decides the fate of every entry of a delivery (DESIGN.md principle 5 and "What permanent means"): applied, or
/// dead-lettered when the entry itself is shown to be at fault; never dropped. Transient failures are retried with
/// capped, jittered backoff for as long as they last, holding the delivery (in-progress acks); a non-transient failure
/// is retried <see cref="ProcessorOptions.MaxAttempts"/> times (once on an entry's last delivery), then the entries are
/// applied one by one and only those that fail alone against a store that accepts a probe write are dead-lettered.
/// When <see cref="SettleAsync"/> returns, the caller may acknowledge the delivery.
/// </summary>
/// <param name="target">The consumer and store this policy works for (the store takes the probe writes).</param>
/// <param name="apply">Applies entries to the store, committed when it completes; the processor's split by worker.</param>
/// <param name="deadLetters">Where entries at fault go.</param>
/// <param name="options">Attempts and backoff.</param>
/// <param name="metrics">Counts dead letters.</param>
/// <param name="time">Backoff delays.</param>
/// <param name="logger">The processor's logger.</param>
public sealed partial class DeliveryPolicy(
    ProcessorTarget target,
    Func<IReadOnlyList<QueueEntry>, CancellationToken, Task> apply,
    IDeadLetterQueue deadLetters,
    ProcessorOptions options,
    VhMetrics metrics,
    TimeProvider time,
    ILogger logger)
{
    private readonly RetryLog _applies = new(logger, $"Consumer {target.ConsumerName}: applying entries", LogLevel.Warning, time);

    private string ConsumerName => target.ConsumerName;

    /// <summary>
    /// Applies or dead-letters every entry of <paramref name="deliveries"/>, in their order and together (one apply), keeping
    /// them all alive on <paramref name="consumer"/> while they are retried. Throws only when
    /// <paramref name="cancellationToken"/> fires (the deliveries then come again).
    /// </summary>
    public Task SettleAsync(IQueueConsumer consumer, IReadOnlyList<QueueDelivery> deliveries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deliveries);
        return SettleAsync(consumer, [.. deliveries.SelectMany(d => d.Entries)], deliveries, cancellationToken);
    }

    /// <summary>
    /// Applies or dead-letters every one of <paramref name="entries"/> (one apply), keeping <paramref name="deliveries"/>,
    /// those that hold them, alive on <paramref name="consumer"/> while they are retried. Throws only when
    /// <paramref name="cancellationToken"/> fires (the deliveries then come again).
    /// </summary>
    public async Task SettleAsync(IQueueConsumer consumer, IReadOnlyList<QueueEntry> entries, IReadOnlyList<QueueDelivery> deliveries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(deliveries);
        var good = new List<QueueEntry>(entries.Count);
        foreach (var entry in entries)
        {
            if (entry.Batch is null)
            {
                // The bytes themselves are at fault: no store is involved in that verdict.
                await DeadLetterAsync(consumer, deliveries, entry, $"Undecodable entry: {entry.DecodeError}", cancellationToken);
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
            await apply(good, cancellationToken);
            _applies.Succeeded();
            return;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            ApplyFailed(ex, good.Count);
            if (!FailureClassifier.IsTransient(ex) && OnLastDelivery(consumer, good))
            {
                // The engine will not deliver these entries again (JetStream's MaxDeliver stops silently): another
                // crash or ack timeout during the retries would lose them, so the poison is isolated now. A store-state
                // failure is held there too, with in-progress acks, for as long as it lasts.
                await IsolatePoisonAsync(consumer, deliveries, good, cancellationToken);
                return;
            }
        }

        var permanentFailures = 1;
        var retry = HoldingRetry(consumer, deliveries, good.Count, () => ++permanentFailures < options.MaxAttempts && !OnLastDelivery(consumer, good), cancellationToken);

        try
        {
            await retry.ExecuteAsync(async ct => await apply(good, ct), cancellationToken);
            _applies.Succeeded();
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !FailureClassifier.IsTransient(ex))
        {
            await IsolatePoisonAsync(consumer, deliveries, good, cancellationToken);
        }
    }

    /// <summary>
    /// Retries an apply with jittered exponential backoff while holding the delivery with in-progress acks: transient
    /// failures always, permanent ones while <paramref name="retryPermanent"/> says so.
    /// </summary>
    private ResiliencePipeline HoldingRetry(IQueueConsumer consumer, IReadOnlyList<QueueDelivery> deliveries, int entries, Func<bool> retryPermanent, CancellationToken cancellationToken) =>
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
                ApplyFailed(args.Outcome.Exception!, entries);
                await KeepAliveAsync(consumer, deliveries, cancellationToken);
            },
        }).Build();

    /// <summary>
    /// Extends the deliveries' ack deadlines. A queue that cannot take it now must not end the hold: at worst the
    /// delivery comes again (to this or another processor), and applying it twice is harmless.
    /// </summary>
    private async Task KeepAliveAsync(IQueueConsumer consumer, IReadOnlyList<QueueDelivery> deliveries, CancellationToken cancellationToken)
    {
        foreach (var delivery in deliveries)
        {
            try
            {
                await consumer.KeepAliveAsync(delivery, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && FailureClassifier.IsTransient(ex))
            {
                LogKeepAliveFailed(ex, ConsumerName);
            }
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
    private async Task IsolatePoisonAsync(IQueueConsumer consumer, IReadOnlyList<QueueDelivery> deliveries, List<QueueEntry> entries, CancellationToken cancellationToken)
    {
        var transientRetry = HoldingRetry(consumer, deliveries, 1, retryPermanent: () => false, cancellationToken);
        foreach (var entry in entries)
        {
            var failuresWithWorkingStore = 0;
            var held = 0;
            while (true)
            {
                try
                {
                    await transientRetry.ExecuteAsync(async ct => await apply([entry], ct), cancellationToken);
                    break;
                }
                catch (Exception ex) when (!FailureClassifier.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
                {
                    if (!await StoreAcceptsWritesAsync(cancellationToken))
                    {
                        LogHeldForStore(ex, ConsumerName, entry.Id);
                        await HoldAsync(consumer, deliveries, held++, cancellationToken);
                        failuresWithWorkingStore = 0;
                        continue;
                    }

                    // Twice, with a working store after each: a store that recovered just before the probe cannot
                    // make a failure of its own look like the entry's.
                    if (++failuresWithWorkingStore < 2)
                    {
                        continue;
                    }

                    await DeadLetterAsync(consumer, deliveries, entry, $"{ex.GetType().Name}: {ex.Message}", cancellationToken);
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
            await target.Store.ProbeWriteAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogProbeFailed(ex, ConsumerName);
            return false;
        }
    }

    /// <summary>Waits out a store-state failure with capped, jittered exponential backoff, holding the delivery.</summary>
    private async Task HoldAsync(IQueueConsumer consumer, IReadOnlyList<QueueDelivery> deliveries, int attempt, CancellationToken cancellationToken)
    {
        await KeepAliveAsync(consumer, deliveries, cancellationToken);
        var capped = Math.Min(options.MaxBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(attempt, 16)));
        var delay = TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() / 2)));
        await Task.Delay(delay, time, cancellationToken);
    }

    /// <summary>
    /// Records a dead letter. The queue failing to take it (transient) is retried while holding the delivery: giving up
    /// would leave the entry neither applied nor dead-lettered, and on a last delivery nothing would bring it back.
    /// </summary>
    private async Task DeadLetterAsync(IQueueConsumer consumer, IReadOnlyList<QueueDelivery> deliveries, QueueEntry entry, string reason, CancellationToken cancellationToken)
    {
        LogDeadLettered(ConsumerName, entry.Id, reason);
        var attempt = 0;
        while (true)
        {
            try
            {
                await deadLetters.AddAsync(entry, reason, cancellationToken);
                break;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && FailureClassifier.IsTransient(ex))
            {
                LogDeadLetterFailed(ex, ConsumerName, entry.Id);
                await HoldAsync(consumer, deliveries, attempt++, cancellationToken);
            }
        }

        AfterCommit.Run(logger, ConsumerName, () => metrics.DeadLettered(1));
    }

    private void ApplyFailed(Exception exception, int entries) =>
        _applies.Failed(
            exception,
            FailureClassifier.IsTransient(exception)
                ? $"{entries} entries not applied; retrying (a transient failure: the store's state)"
                : $"{entries} entries not applied; retrying (not a transient failure)");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: the store refuses a probe write, so entry {EntryId} is not at fault; holding it until the store accepts writes")]
    private partial void LogHeldForStore(Exception exception, string consumer, string entryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: the store's probe write failed")]
    private partial void LogProbeFailed(Exception exception, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: extending the delivery failed; holding it all the same")]
    private partial void LogKeepAliveFailed(Exception exception, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: recording entry {EntryId} as a dead letter failed; retrying")]
    private partial void LogDeadLetterFailed(Exception exception, string consumer, string entryId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer}: entry {EntryId} dead-lettered: {Reason}")]
    private partial void LogDeadLettered(string consumer, string entryId, string reason);
}
