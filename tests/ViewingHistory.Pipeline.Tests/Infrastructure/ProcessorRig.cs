using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Pipeline.Processing;
using ViewingHistory.Queue;
using ViewingHistory.Store;

namespace ViewingHistory.Pipeline.Tests.Infrastructure;

/// <summary>
/// The production <see cref="ProcessorHost"/> (supervisor, processor, delivery policy) on a real queue and store, as the
/// server hosts it, with this test's own meters and a capture of its logs.
/// </summary>
public sealed class ProcessorRig : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private readonly ILoggerFactory _loggers;
    private readonly VhMetrics _metrics;
    private readonly ProcessorHost _host;
    private bool _started;

    public ProcessorRig(IEventQueue queue, IHistoryStore store, ProcessorOptions options)
    {
        _loggers = LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        _metrics = new VhMetrics(Meters);
        _host = new ProcessorHost(
            queue,
            new StoreSet(store, null),
            Options.Create(options),
            new OptionsInForce<PipelineOptions>(new PipelineOptions()),
            _metrics,
            TimeProvider.System,
            new ConsumptionControl(),
            _loggers);
    }

    public TestMeterFactory Meters { get; } = new();

    public LogCapture Logs { get; } = new();

    /// <summary>Options that make every policy step quick: few attempts, short backoff.</summary>
    public static ProcessorOptions Quick(int maxAttempts = 2) => new()
    {
        Workers = 2,
        MaxAttempts = maxAttempts,
        MaxBackoff = TimeSpan.FromMilliseconds(200),
    };

    public Task StartAsync()
    {
        _started = true;
        return _host.StartAsync(CancellationToken.None);
    }

    /// <summary>Waits until the processor has logged <paramref name="fragment"/> at least <paramref name="times"/> times.</summary>
    public Task WaitForLogAsync(string fragment, int times, string what) =>
        Testing.Eventually.UntilAsync(() => Task.FromResult(Logs.Count(fragment) >= times), TimeSpan.FromSeconds(60), what);

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            await _host.StopAsync(timeout.Token);
        }

        _metrics.Dispose();
        Meters.Dispose();
        _loggers.Dispose();
    }
}
