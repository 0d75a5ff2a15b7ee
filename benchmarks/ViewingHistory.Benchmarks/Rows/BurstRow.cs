using System.Diagnostics;
using System.Globalization;
using System.Text;
using ViewingHistory.Benchmarks.Harness;
using static ViewingHistory.Benchmarks.Harness.Report;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>Row 6: a burst of 10 × the sustained rate for 10 s: ingest p99 during it, and how long the backlog takes to drain.</summary>
public static class BurstRow
{
    public static async Task RunAsync(Suite suite)
    {
        var sustained = suite.Shared.GetValueOrDefault("sustained_events_per_s", 10_000);
        var inv = CultureInfo.InvariantCulture;
        var (baseRate, burstRate) = (0.5 * sustained / 100, 10 * sustained / 100); // 100-event requests per second
        var after = suite.Seconds(10, 40).TotalSeconds;
        var phases = string.Create(inv, $"{baseRate:F1}:3,{baseRate:F1}:5,{burstRate:F1}:10,{baseRate:F1}:{after:F0}"); // the first 3 s warm up, not counted
        await using var server = await Children.StartServerAsync(suite.NewDataDir("burst"));
        var clock = Stopwatch.StartNew();
        var samples = new List<(double T, double Lag, double Processed)>();
        var load = Children.LoadAsync(server.BaseAddress, phases, 100, "burst");
        var start = await Metrics.ScrapeAsync(server.BaseAddress, clock);
        while (!load.IsCompleted)
        {
            await Task.Delay(Drain.Interval);
            var m = await Metrics.ScrapeAsync(server.BaseAddress, clock);
            samples.Add((m.At.TotalSeconds, m.Lag, m.Processed - start.Processed));
        }

        var report = await load;
        // The lag peaks when the burst ends (the load generator's clock starts a moment after ours, so its phase
        // boundaries are not ours): drain time counts from the peak.
        var peak = samples.MaxBy(s => s.Lag);
        var peakLag = peak.Lag;
        var drained = samples.FirstOrDefault(s => s.T > peak.T && s.Lag <= Math.Max(1000, baseRate * 100));
        var drainSeconds = drained == default ? double.NaN : drained.T - peak.T;
        var (before, burst, post) = (report.Phases[1], report.Phases[2], report.Phases[3]);
        Plots.Lines(Path.Combine(suite.Report.Directory, "burst-lag.png"), "Queue lag through a 10 s burst of 10 × sustained (SQLite, async)", "seconds", "events",
            [("queue lag", samples.Select(s => (s.T, s.Lag)).ToList())]);
        var sb = new StringBuilder();
        sb.AppendLine($"Open loop, 100-event requests: 3 s of warm-up (not counted), 5 s at 0.5 × sustained ({F(baseRate * 100)} events/s), 10 s at 10 × sustained ({F(burstRate * 100)} events/s offered), then {after:N0} s at 0.5 × again. SQLite, default settings. Load {F(Children.LoadAverage(), 1)}.");
        sb.AppendLine();
        sb.AppendLine("| phase | offered events/s | accepted events/s | ingest p50 ms | ingest p99 ms | max ms | errors |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, p) in new[] { ("before", before), ("burst", burst), ("after", post) })
        {
            sb.AppendLine($"| {name} | {F(p.Rate * 100)} | {F(p.EventsPerSecond)} | {F(p.P50Ms, 2)} | {F(p.P99Ms, 2)} | {F(p.MaxMs, 1)} | {p.Requests - p.Ok} |");
        }

        sb.AppendLine();
        sb.AppendLine($"Peak queue lag {F(peakLag)} events; **drained {F(drainSeconds, 1)} s after the burst ended** (from the lag's peak until it is back under max(1,000, 1 s of the base rate)). Burst ingest p99 ÷ before p99: {F(burst.P99Ms / before.P99Ms, 1)}. Plot: `burst-lag.png`.");
        suite.Report.Add("row6_burst", "6. Burst: 10 × the sustained rate for 10 s", sb.ToString(), new { before, burst, after = post, peak_lag = peakLag, drain_seconds = drainSeconds });
    }
}
