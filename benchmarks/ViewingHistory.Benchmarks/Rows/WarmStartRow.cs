using System.Diagnostics;
using System.Text;
using ViewingHistory.Benchmarks.Harness;
using static ViewingHistory.Benchmarks.Harness.Report;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// Row 9: warm from the first request (issue 14). A fresh server process, as deployed (processors running), takes
/// single-event requests from wrk (-c64) the moment it is ready, in back-to-back 1 s slices, so each second's
/// throughput shows how far the JIT still is from its steady code. One line per runtime variant: the default, the
/// tiered-compilation knobs, and a ReadyToRun publish of the server (built here; reported as failed if it cannot be).
/// </summary>
public static class WarmStartRow
{
    private const int Connections = 64;

    public sealed record Variant(string Name, Dictionary<string, string> Environment, string? Dll);

    public static async Task RunAsync(Suite suite)
    {
        var slices = suite.Quick ? 8 : 15;
        var variants = new List<Variant>
        {
            new("default (as shipped)", [], null),
            new("DOTNET_TieredPGO=0", new() { ["DOTNET_TieredPGO"] = "0" }, null),
            new("DOTNET_TC_CallCountingDelayMs=0", new() { ["DOTNET_TC_CallCountingDelayMs"] = "0" }, null),
            new("DOTNET_TieredCompilation=0 (optimized JIT at first call)", new() { ["DOTNET_TieredCompilation"] = "0" }, null),
        };
        var (r2r, r2rNote) = await PublishReadyToRunAsync(suite);
        if (r2r is not null)
        {
            variants.Add(new("ReadyToRun publish (PublishReadyToRun=true)", [], r2r));
        }

        var results = new List<(Variant V, List<double> PerSecond, double Load)>();
        foreach (var variant in variants)
        {
            var dir = suite.NewDataDir("warm");
            await using var server = await Children.StartServerAsync(dir, variant.Environment, variant.Dll);
            var perSecond = new List<double>();
            for (var i = 0; i < slices; i++)
            {
                perSecond.Add((await Wrk.RunAsync(server.BaseAddress, 1, Connections, TimeSpan.FromSeconds(1))).RequestsPerSecond);
            }

            results.Add((variant, perSecond, Children.LoadAverage()));
        }

        var sb = new StringBuilder();
        sb.AppendLine($"A fresh server process per line (SQLite, processors running, as deployed), ready (`/health/ready`), then wrk -t1 -c{Connections} single-event requests in {slices} back-to-back 1 s slices from its first request. Steady = the mean of the last 3 slices; target: the first 2 s ≥ 0.8 × steady (issue 14). {r2rNote}");
        sb.AppendLine();
        sb.AppendLine($"| variant | {string.Join(" | ", Enumerable.Range(1, slices).Select(i => $"s{i}"))} | steady req/s | first 2 s ÷ steady | load |");
        sb.AppendLine($"|---|{string.Concat(Enumerable.Repeat("---:|", slices))}---:|---:|---:|");
        foreach (var (v, perSecond, load) in results)
        {
            var steady = perSecond.TakeLast(3).Average();
            sb.AppendLine($"| {v.Name} | {string.Join(" | ", perSecond.Select(x => F(x)))} | {F(steady)} | **{F(perSecond.Take(2).Average() / steady, 2)}** | {F(load, 1)} |");
        }

        suite.Report.Add("row9_warm_start", "9. Warm from the first request: throughput per second of a fresh process", sb.ToString(),
            results.Select(r => new { variant = r.V.Name, per_second = r.PerSecond, steady = r.PerSecond.TakeLast(3).Average(), first2_ratio = r.PerSecond.Take(2).Average() / r.PerSecond.TakeLast(3).Average(), load = r.Load }).ToList());
    }

    /// <summary>Publishes the server with ReadyToRun into the run's work dir; null and the reason when it cannot.</summary>
    private static async Task<(string? Dll, string Note)> PublishReadyToRunAsync(Suite suite)
    {
        var root = Path.GetDirectoryName(Suite.FindBenchmarksDirectory())!; // the repository, wherever --out writes
        var output = suite.NewDataDir("r2r");
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var a in new[] { "publish", "src/ViewingHistory.Server", "-c", "Release", "-r", "linux-x64", "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", output, "-nologo" })
        {
            info.ArgumentList.Add(a);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var dll = Path.Combine(output, "ViewingHistory.Server.dll");
        if (process.ExitCode == 0 && File.Exists(dll))
        {
            return (dll, $"The ReadyToRun line is `dotnet publish src/ViewingHistory.Server -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true` ({clock.Elapsed.TotalSeconds:N0} s to publish here).");
        }

        var error = ((await stdout) + (await stderr)).Split('\n').FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase))?.Trim() ?? $"exit code {process.ExitCode}";
        return (null, $"ReadyToRun could not be measured: its publish failed (`{error}`).");
    }
}
