using System.Diagnostics;
using System.Text;
using ViewingHistory.Benchmarks.Harness;
using static ViewingHistory.Benchmarks.Harness.Report;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>Row 4: end-to-end latency (202 to visible in reads) at 25, 50 and 90% of the sustained capacity.</summary>
public static class LatencyRow
{
    private const int EventsPerRequest = 100; // as in row 3, where the sustained capacity was measured

    public static async Task RunAsync(Suite suite)
    {
        // The realistic workload first (DESIGN.md, "Realistic workloads"), each at fractions of its own sustained rate.
        var sb = new StringBuilder();
        var json = new Dictionary<string, object>();
        foreach (var (name, key, active, plot) in new[]
        {
            ("realistic", "sustained_realistic_events_per_s", ProcessingRow.RealisticSessions, "latency-vs-load-realistic.png"),
            ("heartbeat-heavy", "sustained_events_per_s", ProcessingRow.HeavySessions, "latency-vs-load.png"),
        })
        {
            json[name] = await RunWorkloadAsync(suite, sb, name, suite.Shared.GetValueOrDefault(key, 10_000), active, plot);
        }

        suite.Report.Add("row4_latency", "4. End-to-end latency at 25/50/90% of the sustained rate", sb.ToString(), json);
    }

    private static async Task<object> RunWorkloadAsync(Suite suite, StringBuilder sb, string name, double sustained, int active, string plot)
    {
        var duration = suite.Seconds(5, 30);
        var rows = new List<(double Fraction, double Rate, PhaseResult Ingest, double E2eP50, double E2eP99, double Batches, double Load)>();
        await using var server = await Children.StartServerAsync(suite.NewDataDir("latency"));
        var clock = Stopwatch.StartNew();
        var run = "lat" + name[0];
        // Warm-up (JIT, pools, SQLite cache) at the middle level, not counted: the levels measure the steady state (a
        // fresh process's first seconds are row 9's subject).
        var (warmSeconds, first) = await Drain.WarmAsync(server, 0.5 * sustained, run, active, suite.Seconds(30, 60));
        foreach (var fraction in new[] { 0.25, 0.5, 0.9 })
        {
            var rate = fraction * sustained;
            var before = await Metrics.ScrapeAsync(server.BaseAddress, clock);
            // Each level starts with 1 s not counted in the ingest figures: the load generator is a fresh process.
            var report = await Children.LoadAsync(server.BaseAddress, Phases(rate, TimeSpan.FromSeconds(1)) + "," + Phases(rate, duration), EventsPerRequest, run, first: first, active: active);
            first = report.NextEvent;
            await Drain.SettleAsync(server, TimeSpan.FromSeconds(60));
            var after = await Metrics.ScrapeAsync(server.BaseAddress, clock);
            const string h = "vh_end_to_end_latency_seconds";
            rows.Add((fraction, rate, report.Phases[1], Metrics.HistogramQuantile(before, after, h, 0.5) * 1000, Metrics.HistogramQuantile(before, after, h, 0.99) * 1000, Metrics.HistogramCount(before, after, h), Children.LoadAverage()));
        }

        Plots.Lines(Path.Combine(suite.Report.Directory, plot), $"End-to-end latency vs offered load ({name}, SQLite, async)", "offered events/s", "ms",
            [("end-to-end p50", rows.Select(r => (r.Rate, r.E2eP50)).ToList()), ("end-to-end p99", rows.Select(r => (r.Rate, r.E2eP99)).ToList()), ("ingest p99", rows.Select(r => (r.Rate, r.Ingest.P99Ms)).ToList())]);
        sb.AppendLine($"### {char.ToUpperInvariant(name[0])}{name[1..]} workload ({F(active)} sessions at once)");
        sb.AppendLine();
        sb.AppendLine($"Open loop, {EventsPerRequest}-event requests, {duration.TotalSeconds:N0} s per level, SQLite, default settings, after {F(warmSeconds)} s of warm-up at the 50 % level (open-loop slices until the tiered JIT used under 5 % of a core and the processor kept up; not counted); end-to-end latency from the `vh_end_to_end_latency_seconds` histogram between scrapes before and after each level (bucket-interpolated: its bounds are 1, 2.5, 5, 10, 25, 50, 100, 250 ms, ...). Sustained capacity from row 3 ({name}): {F(sustained)} events/s.");
        sb.AppendLine();
        sb.AppendLine("| fraction of sustained | offered events/s | accepted events/s | ingest p50 ms | ingest p99 ms | errors | end-to-end p50 ms | end-to-end p99 ms | batches observed | load |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            sb.AppendLine($"| {r.Fraction:P0} | {F(r.Rate)} | {F(r.Ingest.EventsPerSecond)} | {F(r.Ingest.P50Ms, 2)} | {F(r.Ingest.P99Ms, 2)} | {r.Ingest.Requests - r.Ingest.Ok} | {F(r.E2eP50, 1)} | {F(r.E2eP99, 1)} | {F(r.Batches)} | {F(r.Load, 1)} |");
        }

        var half = rows.First(r => r.Fraction == 0.5);
        sb.AppendLine();
        sb.AppendLine($"Target ({name}): end-to-end p99 ≤ 100 ms at 50% load: **{F(half.E2eP99, 1)} ms** ({(half.E2eP99 <= 100 ? "met" : "missed")}). Plot: `{plot}`.");
        sb.AppendLine();
        return rows.Select(r => new { fraction = r.Fraction, offered_events_per_s = r.Rate, accepted_events_per_s = r.Ingest.EventsPerSecond, ingest_p50_ms = r.Ingest.P50Ms, ingest_p99_ms = r.Ingest.P99Ms, e2e_p50_ms = r.E2eP50, e2e_p99_ms = r.E2eP99, r.Load }).ToList();
    }

    public static string Phases(double eventsPerSecond, TimeSpan duration, int eventsPerRequest = EventsPerRequest) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{eventsPerSecond / eventsPerRequest:F1}:{duration.TotalSeconds:F0}");
}
