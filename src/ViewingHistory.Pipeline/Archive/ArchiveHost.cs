using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ViewingHistory.Pipeline.Processing;
using ViewingHistory.Queue;

namespace ViewingHistory.Pipeline.Archive;

/// <summary>
/// Hosts the archive consumer like <see cref="Processing.ProcessorHost"/> hosts the processors: the durable consumer
/// "archive" is opened at start (so the embedded log keeps its events from then on), a consumer that fails is
/// restarted, and on shutdown the buffer gets <see cref="DrainTimeout"/> to be written and acknowledged.
/// </summary>
public sealed partial class ArchiveHost(
    IEventQueue queue,
    ArchiveOptions options,
    string root,
    ArchiveMetrics metrics,
    TimeProvider time,
    ConsumptionControl control,
    ILoggerFactory loggers) : IHostedService
{
    public const string ConsumerName = "archive";
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _drain = new();
    private readonly ILogger _logger = loggers.CreateLogger<ArchiveHost>();
    private IQueueConsumer? _consumer;
    private Task _running = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root);
        _consumer = queue.OpenConsumer(ConsumerName);
        LogStarted(root);
        _running = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        _drain.CancelAfter(DrainTimeout);
        await _running.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_consumer is not null)
        {
            await _consumer.DisposeAsync();
        }

        _stopping.Dispose();
        _drain.Dispose();
    }

    private async Task RunAsync()
    {
        var compactor = new ArchiveCompactor(root, options, loggers.CreateLogger<ArchiveCompactor>());
        while (true)
        {
            try
            {
                _consumer ??= queue.OpenConsumer(ConsumerName);
                var consumer = _consumer;
                metrics.ObserveLag(() => consumer.LagEvents);
                await new ArchiveConsumer(consumer, root, options, compactor, metrics, time, control, _logger).RunAsync(_stopping.Token, _drain.Token);
                return;
            }
            catch (OperationCanceledException) when (_drain.IsCancellationRequested)
            {
                return; // the drain deadline passed: what was not acknowledged comes again after restart
            }
            catch (Exception ex) when (!_stopping.IsCancellationRequested)
            {
                LogFailed(ex);

                // A fresh consumer, so that the deliveries the failed one held are delivered again.
                await _consumer!.DisposeAsync();
                _consumer = null;
                await Task.Delay(TimeSpan.FromSeconds(1), time, _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Archive: writing accepted events as Parquet under {Root}")]
    private partial void LogStarted(string root);

    [LoggerMessage(Level = LogLevel.Error, Message = "Archive: the consumer failed; restarting it in 1 s (unacknowledged deliveries come again)")]
    private partial void LogFailed(Exception exception);
}
