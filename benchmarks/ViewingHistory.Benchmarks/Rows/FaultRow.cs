using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using ViewingHistory.Benchmarks.Harness;
using static ViewingHistory.Benchmarks.Harness.Report;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// Row 5, the headline: sync against async on PostgreSQL while the store is slowed (a delaying proxy in front of its
/// port) and then stalled (the whole cluster frozen with SIGSTOP for 10 s): ingest p99 and errors in each phase, and
/// in async mode the queue lag and how long it takes to drain after the stall.
/// </summary>
public static class FaultRow
{
    private const double RequestsPerSecond = 100;
    private const int EventsPerRequest = 10;
    private static readonly TimeSpan SlowDelay = TimeSpan.FromMilliseconds(50);

    public static async Task RunAsync(Suite suite)
    {
        var pg = await suite.PostgresAsync();
        var (baseline, slow, gap, stall, after) = (suite.Seconds(3, 10), suite.Seconds(4, 15), suite.Seconds(2, 5), suite.Seconds(5, 10), suite.Seconds(6, 25));
        var inv = CultureInfo.InvariantCulture;
        string Phase(TimeSpan t) => string.Create(inv, $"{RequestsPerSecond:F0}:{t.TotalSeconds:F0}");
        var warmUp = TimeSpan.FromSeconds(3);
        var phases = string.Join(',', Phase(warmUp), Phase(baseline), Phase(slow), Phase(gap), Phase(stall), Phase(after));
        var results = new List<(string Mode, LoadReport Report, List<(double T, double Lag)> Lag, double DrainSeconds, double PeakLag, double Load)>();
        foreach (var mode in new[] { "sync", "async" })
        {
            await using var proxy = new DelayProxy(pg.Port);
            var connection = new NpgsqlConnectionStringBuilder(await pg.CreateDatabaseAsync("fault")) { Port = proxy.Port }.ToString();
            await using var server = await Children.StartServerAsync(suite.NewDataDir("fault"), ("Pipeline:Mode", mode), ("Store:Kind", "postgres"), ("Store:ConnectionString", connection));
            var clock = Stopwatch.StartNew();
            var lag = new List<(double T, double Lag)>();
            var thawAt = double.NaN;
            var load = Children.LoadAsync(server.BaseAddress, phases, EventsPerRequest, "fault" + mode);
            var faults = Task.Run(async () =>
            {
                // The fault schedule starts with the load generator's first accepted request, so the phases line up.
                while ((await Metrics.ScrapeAsync(server.BaseAddress, clock)).Ingested == 0 && !load.IsCompleted)
                {
                    await Task.Delay(20);
                }

                var origin = clock.Elapsed;
                thawAt = (origin + warmUp + baseline + slow + gap + stall).TotalSeconds;
                await Task.Delay(warmUp + baseline);
                proxy.Delay = SlowDelay;
                await Task.Delay(slow);
                proxy.Delay = TimeSpan.Zero;
                await Task.Delay(gap);
                await pg.FreezeAsync();
                try
                {
                    await Task.Delay(stall);
                }
                finally
                {
                    await pg.ThawAsync();
                }
            });
            while (!load.IsCompleted)
            {
                await Task.Delay(Drain.Interval);
                try
                {
                    var m = await Metrics.ScrapeAsync(server.BaseAddress, clock);
                    lag.Add((m.At.TotalSeconds, m.Lag));
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                }
            }

            await faults;
            var report = await load;
            var drained = lag.FirstOrDefault(s => s.T > thawAt && s.Lag <= RequestsPerSecond * EventsPerRequest);
            results.Add((mode, report, lag, drained == default ? double.NaN : drained.T - thawAt, lag.Count == 0 ? 0 : lag.Max(s => s.Lag), Children.LoadAverage()));
        }

        var asyncLag = results.First(r => r.Mode == "async").Lag;
        Plots.Lines(Path.Combine(suite.Report.Directory, "fault-lag.png"), $"Async queue lag: PostgreSQL slowed, then frozen {stall.TotalSeconds:N0} s", "seconds", "events", [("queue lag", asyncLag)]);
        var sb = new StringBuilder();
        sb.AppendLine($"PostgreSQL store behind the harness's delaying proxy; open loop {RequestsPerSecond:N0} requests/s of {EventsPerRequest} events (a rate the sync path sustains unfaulted). Phases: 3 s warm-up (not shown), baseline {baseline.TotalSeconds:N0} s; slowed {slow.TotalSeconds:N0} s (+{SlowDelay.TotalMilliseconds:N0} ms on every chunk each way); {gap.TotalSeconds:N0} s normal; stalled {stall.TotalSeconds:N0} s (every PostgreSQL process SIGSTOPped); after {after.TotalSeconds:N0} s. Latency counts from when a request was due (no coordinated omission).");
        sb.AppendLine();
        sb.AppendLine("| mode | phase | accepted events/s | ingest p50 ms | ingest p99 ms | max ms | error rate | errors | p99 ÷ baseline p99 |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---|---:|");
        string[] names = ["warm-up", "baseline", "slowed", "normal", "stalled", "after"];
        foreach (var (mode, report, _, _, _, _) in results)
        {
            for (var i = 1; i < report.Phases.Count; i++)
            {
                var p = report.Phases[i];
                var errors = p.Errors.Count == 0 ? "" : string.Join(", ", p.Errors.Select(e => $"{e.Key}×{e.Value}"));
                sb.AppendLine($"| {mode} | {names[i]} | {F(p.EventsPerSecond)} | {F(p.P50Ms, 2)} | {F(p.P99Ms, 2)} | {F(p.MaxMs, 1)} | {p.ErrorRate:P1} | {errors} | {F(p.P99Ms / report.Phases[1].P99Ms, 1)} |");
            }
        }

        var a = results.First(r => r.Mode == "async");
        var stalled = a.Report.Phases[4];
        sb.AppendLine();
        sb.AppendLine($"Async: peak queue lag {F(a.PeakLag)} events; **drained {F(a.DrainSeconds, 1)} s after PostgreSQL was thawed**. Target (async ingest p99 during the stall within 2 × unfaulted, zero errors): **{F(stalled.P99Ms / a.Report.Phases[1].P99Ms, 1)} ×, {stalled.Requests - stalled.Ok} errors** ({(stalled.P99Ms <= 2 * a.Report.Phases[1].P99Ms && stalled.Ok == stalled.Requests ? "met" : "missed")}). Load {F(a.Load, 1)}. Plot: `fault-lag.png`.");
        suite.Report.Add("row5_fault", "5. The headline: sync vs async with PostgreSQL slowed and stalled", sb.ToString(),
            results.Select(r => new { mode = r.Mode, phases = r.Report.Phases.Skip(1).Select((p, i) => new { phase = names[i + 1], p.EventsPerSecond, p.P50Ms, p.P99Ms, p.MaxMs, p.ErrorRate, p.Errors }), peak_lag = r.PeakLag, drain_seconds = r.DrainSeconds, load = r.Load }).ToList());
    }
}
