using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Queue;

namespace ViewingHistory.Pipeline.Processing;

/// <summary>
/// Hosts the processors of this process: "processor" into the primary store, and in shadow mode "shadow" into
/// the shadow store. On shutdown it stops receiving at once and gives in-flight deliveries
/// <see cref="DrainTimeout"/> to commit and acknowledge; what is not acknowledged is redelivered after restart.
/// </summary>
public sealed class ProcessorHost(
    IEventQueue queue,
    StoreSet stores,
    IOptions<ProcessorOptions> options,
    OptionsInForce<PipelineOptions> pipeline,
    VhMetrics metrics,
    TimeProvider time,
    ConsumptionControl control,
    ILoggerFactory loggers) : IHostedService
{
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The durable consumer that feeds the primary store.</summary>
    public const string PrimaryConsumer = "processor";

    /// <summary>The durable consumer that feeds the shadow store in shadow mode.</summary>
    public const string ShadowConsumer = "shadow";

    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _drain = new();
    private readonly List<Task> _running = [];
    private int _stopped;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger<HistoryProcessor>();
        _running.Add(Run(() => new HistoryProcessor(PrimaryConsumer, queue, stores.Primary, options.Value, metrics, pipeline, time, logger, isPrimary: true, control), logger));
        if (stores.Shadow is { } shadow)
        {
            _running.Add(Run(() => new HistoryProcessor(ShadowConsumer, queue, shadow, options.Value, metrics, pipeline, time, logger, isPrimary: false, control), logger));
        }

        return Task.CompletedTask;
    }

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

    /// <summary>Runs a processor; one that fails unexpectedly is logged and started afresh, never left dead.</summary>
    private Task Run(Func<HistoryProcessor> create, ILogger logger) => Task.Run(async () =>
    {
        while (true)
        {
            try
            {
                await create().RunAsync(_stopping.Token, _drain.Token);
                return;
            }
            catch (OperationCanceledException) when (_drain.IsCancellationRequested)
            {
                // The drain deadline passed: unacknowledged deliveries are redelivered after restart.
                return;
            }
            catch (Exception ex) when (!_stopping.IsCancellationRequested)
            {
                logger.LogError(ex, "A processor failed; restarting it in 1 s (unacknowledged deliveries come again)");
                await Task.Delay(TimeSpan.FromSeconds(1), time, _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    });
}
