using Microsoft.Extensions.Logging;
using ViewingHistory.Queue;

namespace ViewingHistory.Pipeline.Processing;

/// <summary>
/// Runs a host's durable queue consumers (the history processors, the archive) and keeps them running. Each consumer is
/// opened at <see cref="Start"/>, so that the embedded log keeps its events from then on; one that fails unexpectedly is
/// logged and, after 1 s, run again on a fresh consumer, so that the deliveries the failed one held come again. On
/// <see cref="StopAsync"/> receiving stops at once and in-flight deliveries get <see cref="DrainTimeout"/> to commit and
/// be acknowledged; what is not acknowledged is redelivered after a restart.
/// </summary>
/// <param name="queue">The queue the consumers are opened on.</param>
/// <param name="time">The restart delay.</param>
/// <param name="logger">The host's logger.</param>
/// <param name="scheduler">Where the consumers run: the host's <see cref="BackgroundScheduler"/>, or null for the thread pool.</param>
public sealed partial class ConsumerSupervisor(IEventQueue queue, TimeProvider time, ILogger logger, BackgroundScheduler? scheduler = null)
{
    /// <summary>How long in-flight deliveries have after <see cref="StopAsync"/> to be committed and acknowledged.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _drain = new();
    private readonly List<Task> _running = [];
    private int _stopped;

    /// <summary>
    /// Opens the durable consumer <paramref name="consumerName"/> and runs <paramref name="run"/> on it until it returns.
    /// <paramref name="run"/> gets the consumer, a token that fires when receiving must stop, and one that fires when
    /// the drain timeout has passed; it owns neither the consumer nor the tokens.
    /// </summary>
    public void Start(string consumerName, Func<IQueueConsumer, CancellationToken, CancellationToken, Task> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var consumer = queue.OpenConsumer(consumerName);
        _running.Add(scheduler is null
            ? Task.Run(() => SuperviseAsync(consumerName, consumer, run), CancellationToken.None)
            : scheduler.RunAsync(() => SuperviseAsync(consumerName, consumer, run)));
    }

    /// <summary>Stops receiving, waits for the consumers to drain (at most <see cref="DrainTimeout"/>), and closes them.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // WebApplicationFactory stops the host, then stops it again while disposing: the second call finds the
        // sources disposed.
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        _drain.CancelAfter(DrainTimeout);
        await Task.WhenAll(_running).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
        _drain.Dispose();
    }

    private async Task SuperviseAsync(string consumerName, IQueueConsumer first, Func<IQueueConsumer, CancellationToken, CancellationToken, Task> run)
    {
        IQueueConsumer? consumer = first;
        try
        {
            while (true)
            {
                try
                {
                    consumer ??= queue.OpenConsumer(consumerName);
                    await run(consumer, _stopping.Token, _drain.Token);
                    return;
                }
                catch (OperationCanceledException) when (_drain.IsCancellationRequested)
                {
                    // The drain deadline passed: unacknowledged deliveries are redelivered after restart.
                    return;
                }
                catch (Exception ex) when (!_stopping.IsCancellationRequested)
                {
                    LogFailed(ex, consumerName);

                    // A fresh consumer, so that the deliveries the failed one held are delivered again.
                    await CloseAsync(consumer, consumerName);
                    consumer = null;
                    await Task.Delay(RestartDelay, time, _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        finally
        {
            await CloseAsync(consumer, consumerName);
        }
    }

    /// <summary>Closes a consumer; one that fails to close must not end the supervision (a fresh one is opened after).</summary>
    private async Task CloseAsync(IQueueConsumer? consumer, string consumerName)
    {
        if (consumer is null)
        {
            return;
        }

        try
        {
            await consumer.DisposeAsync();
        }
        catch (Exception ex)
        {
            LogCloseFailed(ex, consumerName);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer} failed; restarting it in 1 s (unacknowledged deliveries come again)")]
    private partial void LogFailed(Exception exception, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: closing it failed")]
    private partial void LogCloseFailed(Exception exception, string consumer);
}
