using System.Diagnostics;
using System.Text;
using ViewingHistory.Benchmarks.Harness;
using static ViewingHistory.Benchmarks.Harness.Report;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// Row 1: ingest throughput and latency, async and sync, against the no-op ceiling under the same wrk load. Both sides
/// are warmed the same way, to a steady rate (a fresh process's first seconds are row 9's subject), and each line is
/// paired with a ceiling measured just before it, so that a ratio never compares minutes of different machine load.
/// </summary>
public static class IngestRow
{
    private const int Connections = 64;
    private const string Deployed = "async (SQLite)";
    private const string Peak = "async, consumers paused (peak)";
    private const string Sync = "sync (SQLite)";

    private sealed record Line(string Target, int Events, Wrk.Result R, Wrk.Result Ceiling, double WarmSeconds);

    public static async Task RunAsync(Suite suite)
    {
        var duration = suite.Seconds(3, 10);
        var maxWarm = suite.Seconds(30, 60);
        var lines = new List<Line>();
        var (noop, noopUrl) = await Children.StartNoopAsync();
        try
        {
            foreach (var events in new[] { 1, 100 })
            {
                await WarmAsync(noopUrl, noop.Id, events, maxWarm);
            }

            foreach (var mode in new[] { "async", "sync" })
            {
                await using var server = await Children.StartServerAsync(suite.NewDataDir("ingest-" + mode), ("Pipeline:Mode", mode));
                foreach (var target in mode == "async" ? new[] { Deployed, Peak } : [Sync])
                {
                    if (target == Peak)
                    {
                        // The peak (DESIGN.md "Sustained capacity"): what the queue absorbs with its consumers paused, so
                        // ingest has the cores to itself. What the processor sustains beside ingest is row 3's figure.
                        await SetConsumptionAsync(server, "pause");
                    }

                    foreach (var events in new[] { 1, 100 })
                    {
                        if (target != Peak)
                        {
                            // The ceiling must not share the cores with the drain of the previous line's backlog.
                            await WaitForDrainAsync(server, TimeSpan.FromSeconds(20));
                        }

                        var ceiling = await Wrk.RunAsync(noopUrl, events, Connections, duration, noop.Id);
                        var warm = await WarmAsync(server.BaseAddress, server.Pid, events, maxWarm);
                        lines.Add(new Line(target, events, await Wrk.RunAsync(server.BaseAddress, events, Connections, duration, server.Pid), ceiling, warm));
                    }

                    if (target == Peak)
                    {
                        await SetConsumptionAsync(server, "resume");
                    }
                }
            }
        }
        finally
        {
            await Children.StopAsync(noop);
        }

        var sb = new StringBuilder();
        sb.AppendLine($"wrk -t1 -c{Connections}, {duration.TotalSeconds:N0} s per line; every event unique. The no-op ceiling reads each body and answers the same 202 and JSON body, doing nothing else; it runs beside the server for the whole row and is measured just before each line (its columns), so each ratio compares the same minutes. " +
            $"Both are first warmed to a steady state by the same rule (2 s wrk slices until two in a row agree within 10 % and the process's tiered JIT thread used under 5 % of a core in the last one; at least 3 slices, at most {maxWarm.TotalSeconds:N0} s; the column gives the server's): the row measures steady state, row 9 the first seconds of a fresh process. " +
            "CPU µs/request is utime + stime of the process over the line per answered request: on a shared machine it moves far less than the rates. " +
            "\"async (SQLite)\" runs the server as deployed, its processor and archive draining the queue on the same 2 cores; \"consumers paused\" is the same server after `POST /v1/admin/consumption/pause`: the peak the durable queue absorbs (DESIGN.md: the peak with processors paused; the sustained rate is row 3's).");
        sb.AppendLine();
        sb.AppendLine("| target | events/request | requests/s | events/s | p50 ms | p99 ms | no-op requests/s | ÷ no-op | server CPU µs/request | no-op CPU µs/request | warm-up s | non-2xx | load |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var l in lines)
        {
            sb.AppendLine($"| {l.Target} | {l.Events} | {F(l.R.RequestsPerSecond)} | {F(l.R.EventsPerSecond)} | {F(l.R.P50Ms, 2)} | {F(l.R.P99Ms, 2)} | {F(l.Ceiling.RequestsPerSecond)} | {F(Ratio(l), 2)} | {F(l.R.CpuMicrosPerRequest, 1)} | {F(l.Ceiling.CpuMicrosPerRequest, 1)} | {F(l.WarmSeconds)} | {l.R.Non2xx + l.R.SocketErrors} | {F(l.R.LoadAverage, 1)} |");
        }

        Line Find(string target, int events) => lines.First(x => x.Target == target && x.Events == events);
        var (peak1, peak100, deployed1, deployed100, sync1) = (Find(Peak, 1), Find(Peak, 100), Find(Deployed, 1), Find(Deployed, 100), Find(Sync, 1));
        string Verdict(bool met) => met ? "met" : "missed";
        sb.AppendLine();
        sb.AppendLine($"Targets (issue 14): peak single-event ≥ 0.75 × no-op: **{F(Ratio(peak1), 2)} ×** ({Verdict(Ratio(peak1) >= 0.75)}), p99 {F(peak1.R.P99Ms, 2)} ms; " +
            $"as deployed ≥ 0.35 × no-op: single-event **{F(Ratio(deployed1), 2)} ×** ({Verdict(Ratio(deployed1) >= 0.35)}), 100-event **{F(Ratio(deployed100), 2)} ×** ({Verdict(Ratio(deployed100) >= 0.35)}); " +
            $"as deployed single-event ≥ 4 × sync: **{F(deployed1.R.RequestsPerSecond / sync1.R.RequestsPerSecond, 1)} ×** ({Verdict(deployed1.R.RequestsPerSecond >= 4 * sync1.R.RequestsPerSecond)}); " +
            $"peak 100-event requests ≥ 500,000 events/s: **{F(peak100.R.EventsPerSecond)} events/s** ({Verdict(peak100.R.EventsPerSecond >= 500_000)}).");
        suite.Shared["ingest_peak_events_per_s"] = peak100.R.EventsPerSecond;
        suite.Report.Add("row1_ingest", "1. Async ingest against the no-op ceiling and the sync mode", sb.ToString(),
            lines.Select(x => new
            {
                target = x.Target,
                events_per_request = x.Events,
                requests_per_s = x.R.RequestsPerSecond,
                events_per_s = x.R.EventsPerSecond,
                p50_ms = x.R.P50Ms,
                p99_ms = x.R.P99Ms,
                noop_requests_per_s = x.Ceiling.RequestsPerSecond,
                ratio = Ratio(x),
                cpu_us_per_request = x.R.CpuMicrosPerRequest,
                noop_cpu_us_per_request = x.Ceiling.CpuMicrosPerRequest,
                warm_s = x.WarmSeconds,
                errors = x.R.Non2xx + x.R.SocketErrors,
                load = x.R.LoadAverage,
            }).ToList());
    }

    private static double Ratio(Line line) => line.R.RequestsPerSecond / line.Ceiling.RequestsPerSecond;

    /// <summary>
    /// wrk in 2 s slices until the process is at a steady rate: two slices in a row agree within 10 % and its tiered JIT
    /// thread used under 5 % of a core in the last one (at least three slices, at most <paramref name="max"/>). The rate
    /// alone is not enough: on 2 shared cores a fresh server's JIT still takes a large share of a core 30-40 s after the
    /// first request while consecutive rates already agree (benchmarks/NOTES.md). Returns the seconds it took.
    /// </summary>
    private static async Task<double> WarmAsync(Uri url, int pid, int events, TimeSpan max)
    {
        var clock = Stopwatch.StartNew();
        var previous = double.NaN;
        for (var slice = 1; clock.Elapsed < max; slice++)
        {
            var jit = ServerCost.JitTicks(pid);
            var started = clock.Elapsed;
            var rate = (await Wrk.RunAsync(url, events, Connections, TimeSpan.FromSeconds(2))).RequestsPerSecond;
            var jitShare = (ServerCost.JitTicks(pid) - jit) * ServerCost.TickMicroseconds / (clock.Elapsed - started).TotalMicroseconds;
            if (slice >= 3 && Math.Abs(rate - previous) <= 0.1 * Math.Max(rate, previous) && jitShare < 0.05)
            {
                break;
            }

            previous = rate;
        }

        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Waits (bounded) until the server's processors have drained what earlier lines left in the queue.</summary>
    private static async Task WaitForDrainAsync(ViewingHistory.Testing.ServerProcess server, TimeSpan max)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < max && (await Metrics.ScrapeAsync(server.BaseAddress, clock)).Lag > 1_000)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }

    private static async Task SetConsumptionAsync(ViewingHistory.Testing.ServerProcess server, string action)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/admin/consumption/{action}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Children.ServiceKey);
        using var response = await server.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }
}
