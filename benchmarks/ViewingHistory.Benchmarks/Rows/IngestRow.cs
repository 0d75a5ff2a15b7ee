using System.Text;
using ViewingHistory.Benchmarks.Harness;
using static ViewingHistory.Benchmarks.Harness.Report;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>Row 1: ingest throughput and latency, async and sync, against the no-op ceiling under the same wrk load.</summary>
public static class IngestRow
{
    private const int Connections = 64;
    private const string Peak = "async, consumers paused (peak)";

    public static async Task RunAsync(Suite suite)
    {
        var duration = suite.Seconds(3, 10);
        var results = new List<(string Target, int Events, Wrk.Result R)>();
        var (noop, noopUrl) = await Children.StartNoopAsync();
        try
        {
            foreach (var events in new[] { 1, 100 })
            {
                await Wrk.RunAsync(noopUrl, events, Connections, TimeSpan.FromSeconds(1)); // warm-up
                results.Add(("no-op ceiling", events, await Wrk.RunAsync(noopUrl, events, Connections, duration)));
            }
        }
        finally
        {
            await Children.StopAsync(noop);
        }

        foreach (var mode in new[] { "async", "sync" })
        {
            await using var server = await Children.StartServerAsync(suite.NewDataDir("ingest-" + mode), ("Pipeline:Mode", mode));
            foreach (var events in new[] { 1, 100 })
            {
                await Wrk.RunAsync(server.BaseAddress, events, Connections, TimeSpan.FromSeconds(1));
                results.Add(($"{mode} (SQLite)", events, await Wrk.RunAsync(server.BaseAddress, events, Connections, duration)));
            }

            if (mode == "async")
            {
                // The peak (DESIGN.md "Sustained capacity"): what the queue absorbs with its consumers paused, so ingest
                // has the cores to itself. What the processor sustains beside ingest is row 3's figure.
                await SetConsumptionAsync(server, "pause");
                foreach (var events in new[] { 1, 100 })
                {
                    await Wrk.RunAsync(server.BaseAddress, events, Connections, TimeSpan.FromSeconds(1));
                    results.Add((Peak, events, await Wrk.RunAsync(server.BaseAddress, events, Connections, duration)));
                }

                await SetConsumptionAsync(server, "resume");
            }
        }

        var sb = new StringBuilder();
        sb.AppendLine($"wrk -t1 -c{Connections}, {duration.TotalSeconds:N0} s per line after a 1 s warm-up; every event unique. The no-op ceiling reads each body and answers the same 202 and JSON body, doing nothing else. " +
            "\"async (SQLite)\" runs the server as deployed, its processor and archive draining the queue on the same 2 cores; \"consumers paused\" is the same server after `POST /v1/admin/consumption/pause`: the peak the durable queue absorbs (DESIGN.md: the peak with processors paused; the sustained rate is row 3's).");
        sb.AppendLine();
        sb.AppendLine("| target | events/request | requests/s | events/s | p50 ms | p99 ms | requests/s ÷ no-op | non-2xx | load |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (target, events, r) in results)
        {
            var ceiling = results.First(x => x.Target == "no-op ceiling" && x.Events == events).R;
            sb.AppendLine($"| {target} | {events} | {F(r.RequestsPerSecond)} | {F(r.EventsPerSecond)} | {F(r.P50Ms, 2)} | {F(r.P99Ms, 2)} | {F(r.RequestsPerSecond / ceiling.RequestsPerSecond, 2)} | {r.Non2xx + r.SocketErrors} | {F(r.LoadAverage, 1)} |");
        }

        var async1 = results.First(x => x.Target == Peak && x.Events == 1).R;
        var async100 = results.First(x => x.Target == Peak && x.Events == 100).R;
        var noop1 = results.First(x => x.Target == "no-op ceiling" && x.Events == 1).R;
        sb.AppendLine();
        sb.AppendLine($"Targets, on the peak: async single-event ≥ 0.75 × no-op with p99 < 5 ms: **{F(async1.RequestsPerSecond / noop1.RequestsPerSecond, 2)} ×, p99 {F(async1.P99Ms, 2)} ms** ({(async1.RequestsPerSecond / noop1.RequestsPerSecond >= 0.75 && async1.P99Ms < 5 ? "met" : "missed")}); " +
            $"100-event requests ≥ 500,000 events/s: **{F(async100.EventsPerSecond)} events/s** ({(async100.EventsPerSecond >= 500_000 ? "met" : "missed")}).");
        suite.Shared["ingest_peak_events_per_s"] = async100.EventsPerSecond;
        suite.Report.Add("row1_ingest", "1. Async ingest against the no-op ceiling and the sync mode", sb.ToString(),
            results.Select(x => new { target = x.Target, events_per_request = x.Events, requests_per_s = x.R.RequestsPerSecond, events_per_s = x.R.EventsPerSecond, p50_ms = x.R.P50Ms, p99_ms = x.R.P99Ms, errors = x.R.Non2xx + x.R.SocketErrors, load = x.R.LoadAverage }).ToList());
    }

    private static async Task SetConsumptionAsync(ViewingHistory.Testing.ServerProcess server, string action)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/admin/consumption/{action}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Children.ServiceKey);
        using var response = await server.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }
}
