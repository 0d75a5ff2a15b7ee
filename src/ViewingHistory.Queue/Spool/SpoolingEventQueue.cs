using System.Globalization;
using Microsoft.Extensions.Logging;
using ViewingHistory.Core.Events;

namespace ViewingHistory.Queue.Spool;

/// <summary>
/// DESIGN.md principle 6: when the shared queue cannot take an append, an ingest node spools the batch to a local
/// durable log (the embedded queue) and answers 202 all the same; a forwarder moves spooled batches to the shared
/// queue when it is back, acknowledging each only after the shared queue acknowledged it (at least once; a batch
/// forwarded twice is deduplicated by the queue or applied idempotently). Only when the spool is full does an
/// append fail, and then ingest answers 503.
/// While the shared queue is failing, appends go straight to the spool (no per-request wait on a dead queue) until
/// the forwarder has got a delivery through to it.
/// </summary>
public sealed partial class SpoolingEventQueue : IEventQueue
{
    private readonly IEventQueue _primary;
    private readonly IEventQueue _spool;
    private readonly SpoolOptions _options;
    private readonly ILogger _logger;
    private readonly RetryLog _forwards;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _forwarder;
    private volatile bool _primaryDown;
    private volatile bool _primaryInitialized;

    public SpoolingEventQueue(IEventQueue primary, IEventQueue spool, SpoolOptions options, ILogger logger)
    {
        _primary = primary;
        _spool = spool;
        _options = options;
        _logger = logger;
        _forwards = new RetryLog(logger, "Spool: forwarding spooled batches to the shared queue");
    }

    public IDeadLetterQueue DeadLetters => _primary.DeadLetters;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _spool.InitializeAsync(cancellationToken);
        try
        {
            await _primary.InitializeAsync(cancellationToken);
            _primaryInitialized = true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Ingest starts on the spool; the forwarder initializes the shared queue when it can reach it.
            _primaryDown = true;
            LogPrimaryUnavailable(ex);
        }

        _forwarder = Task.Run(() => ForwardAsync(_stopping.Token));
    }

    public async ValueTask AppendAsync(AcceptedBatch batch, CancellationToken cancellationToken)
    {
        if (!_primaryDown)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(_options.PrimaryAttemptTimeout);
            try
            {
                await _primary.AppendAsync(batch, attempt.Token);
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && (ex is QueueUnavailableException or OperationCanceledException))
            {
                if (!_primaryDown)
                {
                    _primaryDown = true;
                    LogPrimaryUnavailable(ex);
                }
            }
        }

        await _spool.AppendAsync(batch, cancellationToken);
    }

    public IQueueConsumer OpenConsumer(string name) => _primary.OpenConsumer(name);

    /// <summary>Consumers read the shared queue, never the spool (whose only consumer is the forwarder).</summary>
    public Task<bool> RetireConsumerAsync(string name, CancellationToken cancellationToken) => _primary.RetireConsumerAsync(name, cancellationToken);

    /// <summary>
    /// Healthy while either the spool or the shared queue can take appends. The spool is asked first: it answers at
    /// once, while a probe of a shared queue that just went away waits for its timeout, and readiness would flap
    /// to 503 at the start of every queue outage although appends are being spooled.
    /// </summary>
    public async ValueTask<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        if (await _spool.IsHealthyAsync(cancellationToken))
        {
            return true;
        }

        return !_primaryDown && await _primary.IsHealthyAsync(cancellationToken);
    }

    /// <summary>Consumers read the shared queue, never the spool: reachable only while the shared queue is.</summary>
    public ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken) => _primary.IsReachableAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_forwarder is not null)
        {
            await _forwarder.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _spool.DisposeAsync();
        await _primary.DisposeAsync();
        _stopping.Dispose();
    }

    /// <summary>
    /// Moves spooled batches to the shared queue. A delivery that failed is kept and sent again until the shared queue
    /// takes it: the embedded log never redelivers within a run, so a delivery dropped here would sit in the spool,
    /// holding its space, until the next restart. Once a delivery got through, appends go to the shared queue again
    /// while the rest of the spool drains behind them (the history does not depend on the order of events).
    /// </summary>
    private async Task ForwardAsync(CancellationToken stopping)
    {
        await using var consumer = _spool.OpenConsumer("forwarder");
        var backoff = _options.RetryDelay;
        QueueDelivery? pending = null;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (!_primaryInitialized)
                {
                    await _primary.InitializeAsync(stopping);
                    _primaryInitialized = true;
                }

                pending ??= await consumer.ReceiveAsync(1000, _options.PollInterval, stopping);
                if (pending.Entries.Count == 0)
                {
                    pending = null;

                    // Nothing spooled: if the shared queue was marked down, probe it before sending appends back to it.
                    if (_primaryDown && await _primary.IsHealthyAsync(stopping))
                    {
                        MarkPrimaryBack();
                    }

                    continue;
                }

                // The entries of one delivery go out together: the shared queue group-commits them, and a batch
                // forwarded twice after a partial failure is deduplicated or applied idempotently.
                await Task.WhenAll(pending.Entries.Select(entry => ForwardOneAsync(entry, stopping)));
                await consumer.AckAsync(pending, stopping);
                pending = null;
                backoff = _options.RetryDelay;
                _forwards.Succeeded();
                MarkPrimaryBack();
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _forwards.Failed(ex, string.Create(CultureInfo.InvariantCulture, $"retrying in {backoff.TotalSeconds:0.#} s"));
                await Task.Delay(backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 250)), stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
        }
    }

    private async Task ForwardOneAsync(QueueEntry entry, CancellationToken stopping)
    {
        if (entry.Batch is { } batch)
        {
            await _primary.AppendAsync(batch, stopping);
        }
        else
        {
            await _primary.DeadLetters.AddAsync(entry, $"Undecodable spool entry: {entry.DecodeError}", stopping);
        }
    }

    private void MarkPrimaryBack()
    {
        if (_primaryDown)
        {
            _primaryDown = false;
            LogPrimaryBack();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The shared queue cannot take appends; spooling accepted batches locally")]
    private partial void LogPrimaryUnavailable(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The shared queue is back; appending to it directly again while the spool drains")]
    private partial void LogPrimaryBack();
}
