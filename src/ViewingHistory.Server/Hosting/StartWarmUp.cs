using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ViewingHistory.Pipeline;
using ViewingHistory.Pipeline.Processing;
using ViewingHistory.Queue;
using ViewingHistory.Queue.Embedded;
using ViewingHistory.Server.Configuration;

namespace ViewingHistory.Server.Hosting;

/// <summary>
/// The warm-up at start (issue 14, "warm from the first request"). A fresh process spends its first 10-15 s of load
/// compiling: the tiered JIT compiles some 8,000 methods of the ingest, processing and read paths (each hot one three
/// times: tier 0, instrumented, tier 1), at a third to two thirds of a core, so a process an autoscaler adds for a
/// burst runs at half its rate just when it is needed (benchmarks/NOTES.md, "the warm-up at start"). So before this
/// process opens its port, it starts a scratch copy of the service in the same process (the embedded queue and SQLite
/// store in a directory of its own under <c>DataDir</c>, a loopback port, generated keys, the real log levels with the
/// output discarded, no telemetry),
/// sends it the service's real traffic over HTTP (single events, 100-event batches, reads with a member token) until the
/// JIT has gone quiet or <see cref="WarmUpOptions.MaxDuration"/> has passed, then stops it and removes its directory.
/// Compiled code is the process's, not the host's, so the real host starts on it.
/// <para>
/// Nothing of it reaches the real service: another queue, store, directory and port, its own meters (disposed with it
/// before the real host's exporters exist) and no tracing. It is best effort: a failure is logged and the start goes on.
/// It runs before the real host's listeners open, so <c>/health/live</c> answers only after it (the manifests' startup
/// probe allows 120 s); a SIGTERM or SIGINT during it ends the start.
/// </para>
/// </summary>
internal static partial class StartWarmUp
{
    /// <summary>The scratch copy's directory under <c>DataDir</c>; removed after the warm-up, and before it if a crash left it.</summary>
    public const string DirectoryName = "warm-up";

    /// <summary>The JIT is quiet once it compiled fewer methods than this in the last second.</summary>
    private const int QuietMethodsPerSecond = 20;

    private static readonly TimeSpan MinDuration = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    /// <summary>Held, as an exclusive lock, by the process whose warm-up uses <see cref="DirectoryName"/>.</summary>
    public const string LockName = "warm-up.lock";

    /// <summary>
    /// What a warm-up did: its figures, or why it failed; <see cref="Stopped"/> when a signal cut it short;
    /// <see cref="Skipped"/> when it did not run, and why.
    /// </summary>
    internal sealed record Outcome(TimeSpan Elapsed, long Requests, long Failed, long MethodsCompiled, bool Quiet, bool Stopped, Exception? Failure = null, string? Skipped = null);

    /// <summary>
    /// Warms up when <see cref="WarmUpOptions.Enabled"/> and this binary is the entry point (a test host that hosts it
    /// in-process decides for itself); null when it does not. It runs before the real host is built: nothing of the
    /// real one exists yet to see the scratch copy (its meters in particular: an exporter created beside a scratch
    /// meter of the same name would go on exporting its series).
    /// </summary>
    public static async Task<Outcome?> RunAsync(WebApplicationBuilder builder)
    {
        var options = WarmUpOptions.Read(builder.Configuration);
        if (!options.Enabled || System.Reflection.Assembly.GetEntryAssembly() != typeof(Program).Assembly)
        {
            return null;
        }

        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // the process ends by returning from Main, not half-way through a scratch host's stop
            stop.Cancel();
        }

        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        var dataDir = ServiceOptions.Read(builder.Configuration).DataDir;
        var directory = Path.Combine(dataDir, DirectoryName);
        var clock = Stopwatch.StartNew();
        try
        {
            using var claim = Claim(dataDir, EngineKinds.Read(builder.Configuration).Queue, out var skipped);
            return claim is null
                ? new Outcome(clock.Elapsed, 0, 0, 0, Quiet: false, Stopped: false, Skipped: skipped)
                : await WarmAsync(builder.Configuration, builder.Environment, directory, options.MaxDuration, clock, stop.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new Outcome(clock.Elapsed, 0, 0, 0, Quiet: false, stop.IsCancellationRequested, ex);
        }
    }

    /// <summary>
    /// After the real host is built: logs what the warm-up did and builds the real host's endpoints. False when a
    /// signal during the warm-up asked the process to stop.
    /// </summary>
    public static bool Finish(WebApplication app, Outcome? outcome)
    {
        if (outcome is null)
        {
            return true;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StartWarmUp).FullName!);
        if (outcome.Skipped is { } skipped)
        {
            LogSkipped(logger, skipped);
        }
        else if (outcome.Failure is { } failure)
        {
            LogFailed(logger, failure);
        }
        else
        {
            LogWarmed(logger, outcome.Elapsed.TotalSeconds, outcome.Requests, outcome.Failed, outcome.MethodsCompiled,
                outcome.Stopped ? "a stop was asked for" : outcome.Quiet ? "the JIT went quiet" : "WarmUp:MaxDuration passed");
        }

        BuildEndpoints(app);
        return !outcome.Stopped;
    }

    /// <summary>
    /// Builds the real host's endpoints now rather than on its first request: each minimal-API endpoint's request
    /// delegate is compiled from expression trees per host (about 700 methods jitted and half a core for two seconds,
    /// measured after a warmed start), which the scratch copy's compiled code cannot spare the real one.
    /// </summary>
    private static void BuildEndpoints(WebApplication app)
    {
        foreach (var source in ((IEndpointRouteBuilder)app).DataSources)
        {
            _ = source.Endpoints;
        }
    }

    /// <summary>Runs one warm-up in <paramref name="directory"/> (emptied first, removed after), timed by <paramref name="clock"/>.</summary>
    private static async Task<Outcome> WarmAsync(IConfiguration configuration, IWebHostEnvironment environment, string directory, TimeSpan maxDuration, Stopwatch clock, CancellationToken stop)
    {
        var methodsBefore = JitInfo.GetCompiledMethodCount();
        RemoveDirectory(directory);
        Directory.CreateDirectory(directory);
        var keys = new WarmUpTraffic.Keys(Secret(), Secret(), Secret());
        WebApplication? scratch = null;
        try
        {
            scratch = BuildScratch(configuration, environment, directory, keys);
            await scratch.StartAsync(stop);
            using var traffic = new WarmUpTraffic(new Uri(scratch.Urls.First()), keys);
            await traffic.WaitReadyAsync(TimeSpan.FromSeconds(30), stop);
            using var done = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var driving = traffic.RunAsync(done.Token);
            var quiet = await UntilJitQuietAsync(clock, maxDuration, stop);
            await done.CancelAsync();
            await driving;
            return new Outcome(clock.Elapsed, traffic.Requests, traffic.Failed, JitInfo.GetCompiledMethodCount() - methodsBefore, quiet, stop.IsCancellationRequested);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return new Outcome(clock.Elapsed, 0, 0, JitInfo.GetCompiledMethodCount() - methodsBefore, Quiet: false, Stopped: true);
        }
        finally
        {
            if (scratch is not null)
            {
                using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await scratch.StopAsync(bounded.Token);
                }
                finally
                {
                    await scratch.DisposeAsync();
                }
            }

            RemoveDirectory(directory);
        }
    }

    /// <summary>
    /// Waits until the JIT compiled fewer than <see cref="QuietMethodsPerSecond"/> methods in the last second (after at
    /// least <see cref="MinDuration"/>: the first tier-1 compilations wait for their call counts), or until
    /// <paramref name="maxDuration"/>. True when it went quiet.
    /// </summary>
    private static async Task<bool> UntilJitQuietAsync(Stopwatch clock, TimeSpan maxDuration, CancellationToken stop)
    {
        var window = new Queue<long>();
        var ticksPerSecond = (int)(TimeSpan.FromSeconds(1) / Tick);
        using var timer = new PeriodicTimer(Tick);
        while (clock.Elapsed < maxDuration && await timer.WaitForNextTickAsync(stop))
        {
            window.Enqueue(JitInfo.GetCompiledMethodCount());
            if (window.Count > ticksPerSecond + 1)
            {
                window.Dequeue();
            }

            if (clock.Elapsed >= MinDuration && window.Count > ticksPerSecond && window.Last() - window.Peek() < QuietMethodsPerSecond)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The scratch copy: this service's own wiring, on a configuration that holds only what shapes the hot paths (the
    /// <c>Pipeline</c>, <c>Ingest</c> and <c>Processor</c> sections, the SQLite store's tuning, the log levels) and
    /// nothing that reaches anything outside it: no engine addresses, feeds, archive, tracing exporter, config file or
    /// keys of the real one. Its logs go to a provider that formats and drops them: with no provider at all, the host
    /// skips the per-request logging scope and <see cref="Activity"/> that the real host creates, so those paths were
    /// left for the JIT after a warmed start (28 of its ~470 methods in the first 5 s; benchmarks/NOTES.md).
    /// </summary>
    private static WebApplication BuildScratch(IConfiguration configuration, IWebHostEnvironment environment, string directory, WarmUpTraffic.Keys keys)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = environment.ApplicationName,
            ContentRootPath = environment.ContentRootPath,
            EnvironmentName = environment.EnvironmentName,
        });
        builder.Configuration.Sources.Clear(); // not the real one's files, environment variables or command line
        builder.Configuration.AddInMemoryCollection(ScratchSettings(configuration, directory, keys));
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new DiscardingLoggerProvider()); // the real levels' code paths, with no output
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>(); // signals belong to the real start, not to the scratch copy
        builder.AddViewingHistory();
        var scratch = builder.Build();
        scratch.MapViewingHistory();
        BuildEndpoints(scratch);
        return scratch;
    }

    /// <summary>The scratch copy's whole configuration, taken from the real one's (see <see cref="BuildScratch"/>).</summary>
    internal static Dictionary<string, string?> ScratchSettings(IConfiguration configuration, string directory, WarmUpTraffic.Keys keys)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in new[] { PipelineOptions.Section, IngestOptions.Section, ProcessorOptions.Section, "Logging" })
        {
            foreach (var (key, value) in configuration.GetSection(section).AsEnumerable())
            {
                settings[key] = value;
            }
        }

        foreach (var (key, value) in configuration.GetSection("Store").AsEnumerable())
        {
            if (key.StartsWith("Store:Sqlite", StringComparison.OrdinalIgnoreCase))
            {
                settings[key] = value;
            }
        }

        settings["DataDir"] = directory;
        settings["Queue:Kind"] = "embedded";
        settings["Store:Kind"] = "sqlite";
        settings["Auth:IngestKeys:0"] = keys.Ingest;
        settings["Auth:ServiceKeys:0"] = keys.Service;
        settings["Auth:MemberTokenSecret"] = keys.MemberTokenSecret;
        return settings;
    }

    /// <summary>
    /// The right to warm up in <paramref name="dataDir"/>: its <see cref="LockName"/>, held until disposed (the kernel
    /// drops it when the process dies, even by SIGKILL). Null, with the reason, when another process on the same
    /// <c>DataDir</c> warms up now (this one would empty its scratch directory under it) or already runs the embedded
    /// queue there (this start will be refused by that queue's lock, so it should be refused at once, not after a
    /// warm-up). Two processes on one <c>DataDir</c> are an operator's mistake; this keeps it from costing the first one.
    /// </summary>
    private static FileStream? Claim(string dataDir, QueueKind queue, out string? skipped)
    {
        var queueDirectory = EngineHostingExtensions.EmbeddedQueueDirectory(dataDir);
        if (queue == QueueKind.Embedded && EmbeddedEventQueue.IsInUse(queueDirectory))
        {
            skipped = $"another process runs the embedded queue in {queueDirectory}";
            return null;
        }

        Directory.CreateDirectory(dataDir);
        try
        {
            skipped = null;
            return new FileStream(Path.Combine(dataDir, LockName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            skipped = $"another process is warming up in {Path.Combine(dataDir, DirectoryName)}";
            return null;
        }
    }

    private static string Secret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    private static void RemoveDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Warmed up in {Seconds:N1} s on a scratch copy of the service: {Requests} requests ({Failed} not answered 2xx), {Methods} methods compiled; stopped because {Reason}")]
    private static partial void LogWarmed(ILogger logger, double seconds, long requests, long failed, long methods, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The warm-up at start did not run: {Reason} (one DataDir serves one process)")]
    private static partial void LogSkipped(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The warm-up at start failed; the service starts without it (its first seconds of load run partly on unoptimized code)")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    /// <summary>
    /// The scratch copy's one logging provider: enabled wherever the real levels enable a category, with scopes as the
    /// console provider has them, and every message formatted and dropped.
    /// </summary>
    private sealed class DiscardingLoggerProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public ILogger CreateLogger(string categoryName) => new Discarding(this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Discarding(DiscardingLoggerProvider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => provider._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                _ = formatter(state, exception);
        }
    }

    /// <summary>A lifetime that hooks no signal and writes nothing: the scratch copy is started and stopped by the warm-up alone.</summary>
    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
