using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Text;
using ViewingHistory.Benchmarks.Harness;
using static ViewingHistory.Benchmarks.Harness.Report;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// Row 9: warm from the first request (issue 14). A fresh server process, as deployed (processors running), takes
/// single-event requests from wrk (-c64) the moment it is ready, in back-to-back 1 s slices, so each second's
/// throughput shows how far the JIT still is from its steady code. One line per variant: as shipped (the warm-up at
/// start, which runs before the port opens, so its seconds show in "ready after"), without it, the tiered-compilation
/// knob that came nearest without it, and a ReadyToRun publish with the warm-up (built here; reported as failed if it
/// cannot be). One-second slices of this machine vary by ±20 % even on a process warmed for a minute, so each variant
/// runs <see cref="Repetitions"/> fresh processes and the figure is the median of their ratios.
/// </summary>
public static partial class WarmStartRow
{
    private const int Connections = 64;
    private const string WarmUpLog = "Logging:LogLevel:ViewingHistory.Server.Hosting.StartWarmUp";

    public sealed record Variant(string Name, Dictionary<string, string> Environment, string? Dll);

    private sealed record Run(List<double> PerSecond, double ReadySeconds, double? WarmUpSeconds, double Load)
    {
        public double Steady => PerSecond.TakeLast(3).Average();

        public double Ratio => PerSecond.Take(2).Average() / Steady;
    }

    private static int Repetitions(Suite suite) => suite.Quick ? 1 : 3;

    public static async Task RunAsync(Suite suite)
    {
        var slices = suite.Quick ? 8 : 15;
        // The benchmarks' servers start without the warm-up (ServerProcess: WarmUp__Enabled=false, the rows warm by
        // their own rule); here the shipped default is put back.
        var shipped = new Dictionary<string, string> { ["WarmUp__Enabled"] = "true" };
        var variants = new List<Variant>
        {
            new("as shipped: warm-up at start", shipped, null),
            new("no warm-up (WarmUp:Enabled=false)", new() { ["WarmUp__Enabled"] = "false" }, null),
            new("no warm-up, DOTNET_TieredCompilation=0", new() { ["WarmUp__Enabled"] = "false", ["DOTNET_TieredCompilation"] = "0" }, null),
        };
        var (r2r, r2rNote) = await PublishReadyToRunAsync(suite);
        if (r2r is not null)
        {
            variants.Add(new("ReadyToRun publish, warm-up at start", shipped, r2r));
        }

        var results = new List<(Variant V, List<Run> Runs)>();
        foreach (var variant in variants)
        {
            var runs = new List<Run>();
            for (var r = 0; r < Repetitions(suite); r++)
            {
                runs.Add(await RunOnceAsync(suite, variant, slices));
            }

            results.Add((variant, runs));
        }

        var sb = new StringBuilder();
        sb.AppendLine($"A fresh server process per line (SQLite, processors running, as deployed), ready (`/health/ready`), then wrk -t1 -c{Connections} single-event requests in {slices} back-to-back 1 s slices from its first request; {Repetitions(suite)} fresh process(es) per variant, the slices shown are the run with the median ratio. Steady = the mean of the last 3 slices; target: the first 2 s ≥ 0.8 × steady (issue 14). The ready-after column counts from the process's launch; the warm-up at start (`WarmUp:*`, README) runs before the port opens. {r2rNote}");
        sb.AppendLine();
        sb.AppendLine($"| variant | {string.Join(" | ", Enumerable.Range(1, slices).Select(i => $"s{i}"))} | steady req/s | first 2 s ÷ steady, each run | **median** | ready after s | warm-up s | load |");
        sb.AppendLine($"|---|{string.Concat(Enumerable.Repeat("---:|", slices))}---:|---:|---:|---:|---:|---:|");
        foreach (var (v, runs) in results)
        {
            var median = Median(runs);
            sb.AppendLine($"| {v.Name} | {string.Join(" | ", median.PerSecond.Select(x => F(x)))} | {F(median.Steady)} | {string.Join(", ", runs.Select(r => F(r.Ratio, 2)))} | **{F(median.Ratio, 2)}** | {F(median.ReadySeconds, 1)} | {(median.WarmUpSeconds is { } w ? F(w, 1) : "none")} | {F(median.Load, 1)} |");
        }

        suite.Report.Add("row9_warm_start", "9. Warm from the first request: throughput per second of a fresh process", sb.ToString(),
            results.Select(r => new
            {
                variant = r.V.Name,
                per_second = Median(r.Runs).PerSecond,
                steady = Median(r.Runs).Steady,
                first2_ratio = Median(r.Runs).Ratio,
                ratios = r.Runs.Select(x => x.Ratio).ToList(),
                ready_seconds = Median(r.Runs).ReadySeconds,
                warm_up_seconds = Median(r.Runs).WarmUpSeconds,
                load = Median(r.Runs).Load,
            }).ToList());
    }

    private static Run Median(List<Run> runs) => runs.OrderBy(r => r.Ratio).ElementAt(runs.Count / 2);

    private static async Task<Run> RunOnceAsync(Suite suite, Variant variant, int slices)
    {
        var dir = suite.NewDataDir("warm");
        var launched = Stopwatch.StartNew();
        await using var server = await Children.StartServerAsync(dir, variant.Environment, variant.Dll, (WarmUpLog, "Information"));
        var ready = launched.Elapsed.TotalSeconds;
        var perSecond = new List<double>();
        for (var i = 0; i < slices; i++)
        {
            perSecond.Add((await Wrk.RunAsync(server.BaseAddress, 1, Connections, TimeSpan.FromSeconds(1))).RequestsPerSecond);
        }

        var warmed = WarmedLine().Match(server.Output);
        double? warmUp = warmed.Success ? double.Parse(warmed.Groups[1].Value, CultureInfo.InvariantCulture) : null;
        return new Run(perSecond, ready, warmUp, Children.LoadAverage());
    }

    [GeneratedRegex(@"Warmed up in ([0-9.]+) s")]
    private static partial Regex WarmedLine();

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
