using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ViewingHistory.Testing;

namespace ViewingHistory.Benchmarks.Harness;

/// <summary>Child processes of the suite: the server, the no-op ceiling, the load generator, wrk.</summary>
public static class Children
{
    public const string IngestKey = "bench-ingest-key-0123456789";
    public const string ServiceKey = "bench-service-key-0123456789";
    public const string TokenSecret = "bench-member-token-secret-0123456789abcdef";

    /// <summary>The real server (Release dll) on a free port with the given settings on top of the benchmark credentials.</summary>
    public static Task<ServerProcess> StartServerAsync(string dataDir, params (string Key, string Value)[] settings) =>
        StartServerAsync(dataDir, null, null, settings);

    /// <summary>The same, with environment variables added (runtime knobs) and optionally another build of the server.</summary>
    public static Task<ServerProcess> StartServerAsync(string dataDir, IReadOnlyDictionary<string, string>? environment, string? dll, params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string>
        {
            ["DataDir"] = dataDir,
            ["Auth:IngestKeys:0"] = IngestKey,
            ["Auth:ServiceKeys:0"] = ServiceKey,
            ["Auth:MemberTokenSecret"] = TokenSecret,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings)
        {
            all[k] = v;
        }

        return ServerProcess.StartAsync(all, environment: environment, dll: dll);
    }

    /// <summary>Starts this program's <paramref name="subcommand"/> as a child process.</summary>
    public static Process StartSelf(string subcommand, IReadOnlyDictionary<string, string> args)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(typeof(Children).Assembly.Location);
        info.ArgumentList.Add(subcommand);
        foreach (var (k, v) in args)
        {
            info.ArgumentList.Add("--" + k);
            info.ArgumentList.Add(v);
        }

        info.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start " + subcommand);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"[{subcommand}] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs the load generator to its end and returns its report.</summary>
    public static async Task<LoadReport> LoadAsync(Uri server, string phases, int batch, string run, long first = 0, int concurrency = 32, int active = 2000, long maxEvents = 0)
    {
        var output = Path.Combine(Path.GetTempPath(), $"vh-load-{Guid.NewGuid():N}.json");
        var inv = CultureInfo.InvariantCulture;
        using var process = StartSelf("load", new Dictionary<string, string>
        {
            ["url"] = new Uri(server, "/v1/playback/events").ToString(),
            ["key"] = IngestKey,
            ["phases"] = phases,
            ["batch"] = batch.ToString(inv),
            ["run"] = run,
            ["first"] = first.ToString(inv),
            ["concurrency"] = concurrency.ToString(inv),
            ["active"] = active.ToString(inv),
            ["max-events"] = maxEvents.ToString(inv),
            ["out"] = output,
        });
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || !File.Exists(output))
        {
            throw new InvalidOperationException($"The load generator exited with {process.ExitCode}.");
        }

        var report = JsonSerializer.Deserialize<LoadReport>(await File.ReadAllTextAsync(output))!;
        File.Delete(output);
        return report;
    }

    /// <summary>The no-op ceiling server on a free port, ready.</summary>
    public static async Task<(Process Process, Uri Url)> StartNoopAsync()
    {
        var port = FreePort.Next();
        var url = new Uri($"http://127.0.0.1:{port}");
        var process = StartSelf("noop", new Dictionary<string, string> { ["url"] = url.ToString().TrimEnd('/') });
        using var http = new HttpClient();
        await Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    return (await http.GetAsync(new Uri(url, "/health/ready"))).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30),
            "the no-op server");
        return (process, url);
    }

    public static async Task StopAsync(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
    }

    /// <summary>The 1-minute load average: the machine is shared, so every figure carries it.</summary>
    public static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
}
