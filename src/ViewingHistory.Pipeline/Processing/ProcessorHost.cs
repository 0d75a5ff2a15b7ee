using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Queue;

namespace ViewingHistory.Pipeline.Processing;

/// <summary>
/// Hosts the processors of this process: "processor" into the primary store, and in shadow mode "shadow" into
/// the shadow store, each under the <see cref="ConsumerSupervisor"/>: a failed processor is started afresh, and on
/// shutdown in-flight deliveries get <see cref="DrainTimeout"/> to commit and acknowledge; what is not acknowledged is
/// redelivered after restart.
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
    /// <summary>How long in-flight deliveries have at shutdown.</summary>
    public static readonly TimeSpan DrainTimeout = ConsumerSupervisor.DrainTimeout;

    /// <summary>The durable consumer that feeds the primary store.</summary>
    public const string PrimaryConsumer = "processor";

    /// <summary>The durable consumer that feeds the shadow store in shadow mode.</summary>
    public const string ShadowConsumer = "shadow";

    private readonly ILogger _logger = loggers.CreateLogger<HistoryProcessor>();
    private ConsumerSupervisor? _supervisor;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _supervisor = new ConsumerSupervisor(queue, time, _logger);
        Start(ProcessorTarget.Primary(stores.Primary));
        if (stores.Shadow is { } shadow)
        {
            Start(ProcessorTarget.Shadow(shadow));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _supervisor?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>Each run gets a new processor: nothing a failed one had read survives into the next.</summary>
    private void Start(ProcessorTarget target) =>
        _supervisor!.Start(target.ConsumerName, (consumer, stopping, drain) =>
            new HistoryProcessor(target, queue.DeadLetters, options.Value, metrics, pipeline, time, _logger, control).RunAsync(consumer, stopping, drain));
}
