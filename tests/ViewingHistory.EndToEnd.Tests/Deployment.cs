using System.Globalization;
using System.Text.RegularExpressions;
using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// One distributed deployment made of real server processes: a JetStream stream and a PostgreSQL database of its
/// own, each process with its own data dir and roles. Disposing it kills what is still running.
/// </summary>
public sealed partial class Deployment(string natsUrls, string connectionString, int replicas = 1) : IAsyncDisposable
{
    public const string IngestKey = Distributed.IngestKey;
    public const string ServiceKey = Distributed.ServiceKey;

    private readonly List<ServerProcess> _processes = [];
    private readonly List<TempDirectory> _dataDirs = [];

    public string StreamName { get; } = DistributedEngines.NewStreamName();

    public Dictionary<string, string> Settings(string roles)
    {
        var dataDir = new TempDirectory("vh-dist");
        lock (_dataDirs)
        {
            _dataDirs.Add(dataDir);
        }

        var settings = Distributed.Settings(dataDir.Path, natsUrls, connectionString, roles);
        settings["Queue:Replicas"] = replicas.ToString(CultureInfo.InvariantCulture);
        foreach (var (key, value) in DistributedEngines.StreamSettings(StreamName))
        {
            settings[key] = value;
        }

        // A killed processor's unacknowledged batches come back to the others after this, instead of 30 s.
        settings["Queue:AckWait"] = "00:00:03";
        settings["Queue:Backoff:0"] = "00:00:03";
        return settings;
    }

    /// <summary>Starts a server process with <paramref name="roles"/>; <paramref name="extra"/> settings win over the deployment's.</summary>
    public async Task<ServerProcess> StartAsync(string roles, IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = Settings(roles);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var process = await ServerProcess.StartAsync(settings, readyTimeout: TimeSpan.FromSeconds(90));
        lock (_processes)
        {
            _processes.Add(process);
        }

        return process;
    }

    public static HttpClient ClientOf(ServerProcess process) => Distributed.Client(process, TimeSpan.FromSeconds(15));

    /// <summary>The process's <c>vh_processed_events_total</c>; 0 before its first batch, -1 when it does not answer.</summary>
    public static async Task<double> ProcessedAsync(ServerProcess process)
    {
        try
        {
            var match = ProcessedLine().Match(await process.Client.GetStringAsync("/metrics"));
            return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        }
        catch (HttpRequestException)
        {
            return -1;
        }
    }

    /// <summary>Events per second the processors applied together over <paramref name="window"/> (information, not an assertion).</summary>
    public static async Task<double> ProcessedRateAsync(IReadOnlyList<ServerProcess> processors, TimeSpan window)
    {
        var before = await SumAsync(processors);
        await Task.Delay(window);
        return (await SumAsync(processors) - before) / window.TotalSeconds;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        foreach (var dir in _dataDirs)
        {
            dir.Dispose();
        }
    }

    private static async Task<double> SumAsync(IEnumerable<ServerProcess> processors)
    {
        var sum = 0.0;
        foreach (var p in processors)
        {
            sum += Math.Max(0, await ProcessedAsync(p));
        }

        return sum;
    }

    [GeneratedRegex(@"^vh_processed_events_total(?:\{[^}]*\})? (\S+)", RegexOptions.Multiline)]
    private static partial Regex ProcessedLine();
}
