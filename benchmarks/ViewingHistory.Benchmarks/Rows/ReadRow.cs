using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using ViewingHistory.Benchmarks.Harness;
using static ViewingHistory.Benchmarks.Harness.Report;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>Row 7: the first history page (limit 20) for members with 10, 1,000 and 10,000 items; store bytes per million events.</summary>
public static class ReadRow
{
    public static async Task RunAsync(Suite suite)
    {
        var dataDir = suite.NewDataDir("read");
        await using var server = await Children.StartServerAsync(dataDir);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var sizes = new[] { 10, 1_000, 10_000 };
        foreach (var size in sizes)
        {
            for (var first = 0; first < size; first += 500)
            {
                var sb = new StringBuilder();
                Workload.WriteItems(sb, $"reader{size}", first, Math.Min(500, size - first));
                using var content = new StringContent(sb.ToString(), Encoding.UTF8, "application/json");
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = content };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Children.IngestKey);
                (await http.SendAsync(request)).EnsureSuccessStatusCode();
            }
        }

        await Drain.SettleAsync(server, TimeSpan.FromSeconds(120));
        var requests = suite.Quick ? 300 : 2000;
        var results = new List<(int Items, double P50, double P99)>();
        foreach (var size in sizes)
        {
            var latency = new LatencyRecorder();
            for (var i = 0; i < requests + 50; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/members/reader{size}/history?limit=20");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Children.ServiceKey);
                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                response.EnsureSuccessStatusCode();
                if (i >= 50)
                {
                    latency.Add((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                }
            }

            results.Add((size, latency.QuantileMs(0.5), latency.QuantileMs(0.99)));
        }

        var sb2 = new StringBuilder();
        sb2.AppendLine($"SQLite, one client in the benchmark process, sequential requests (50 warm-up, then {requests} measured per member), first page of 20 items with the service key. Load {F(Children.LoadAverage(), 1)}.");
        sb2.AppendLine();
        sb2.AppendLine("| items of the member | p50 ms | p99 ms |");
        sb2.AppendLine("|---:|---:|---:|");
        foreach (var (items, p50, p99) in results)
        {
            sb2.AppendLine($"| {F(items)} | {F(p50, 2)} | {F(p99, 2)} |");
        }

        if (suite.Shared.TryGetValue("sqlite_bytes_per_million_events", out var bytes))
        {
            sb2.AppendLine();
            sb2.AppendLine($"Store bytes per million events (row 3's heartbeat backlog, SQLite file + WAL after the drain): **{F(bytes / 1e6, 1)} MB**; the embedded queue's files: {F(suite.Shared.GetValueOrDefault("queue_bytes_per_million_events") / 1e6, 1)} MB per million events (before truncation catches up).");
        }

        suite.Report.Add("row7_read", "7. Read path and store size", sb2.ToString(), new
        {
            pages = results.Select(r => new { items = r.Items, p50_ms = r.P50, p99_ms = r.P99 }),
            sqlite_bytes_per_million_events = suite.Shared.GetValueOrDefault("sqlite_bytes_per_million_events"),
        });
    }
}
