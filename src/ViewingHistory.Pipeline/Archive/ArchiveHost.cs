using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ViewingHistory.Pipeline.Processing;
using ViewingHistory.Pipeline.Erasure;
using ViewingHistory.Queue;
using ViewingHistory.Store;

namespace ViewingHistory.Pipeline.Archive;

/// <summary>
/// Hosts the archive consumer under the same <see cref="ConsumerSupervisor"/> as the processors: the durable consumer
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
    ILoggerFactory loggers,
    IHistoryStore store,
    ErasureOptions erasure) : IHostedService
{
    public const string ConsumerName = "archive";

    /// <summary>How long the buffer has at shutdown to be written and acknowledged.</summary>
    public static readonly TimeSpan DrainTimeout = ConsumerSupervisor.DrainTimeout;

    private readonly ILogger _logger = loggers.CreateLogger<ArchiveHost>();
    private ConsumerSupervisor? _supervisor;
    private BackgroundScheduler? _scheduler;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root);

        // A thread of its own, below the requests and the history processors: analytics may lag, visibility may not.
        _scheduler = new BackgroundScheduler("Archive", threads: 1, options.Nice);
        _supervisor = new ConsumerSupervisor(queue, time, _logger, _scheduler);

        // One compactor for the host's life: a restarted consumer must not run a second one beside it.
        var eraser = new ArchiveEraser(store, root, Environment.MachineName, erasure, loggers.CreateLogger<ArchiveEraser>());
        var compactor = new ArchiveCompactor(root, options, loggers.CreateLogger<ArchiveCompactor>(), eraser);
        _supervisor.Start(ConsumerName, (consumer, stopping, drain) =>
        {
            metrics.ObserveLag(consumer);
            return new ArchiveConsumer(consumer, root, options, compactor, metrics, time, control, _logger, eraser).RunAsync(stopping, drain);
        });
        LogStarted(root);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_supervisor is not null)
        {
            await _supervisor.StopAsync(cancellationToken);
        }

        _scheduler?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Archive: writing accepted events as Parquet under {Root}")]
    private partial void LogStarted(string root);
}
