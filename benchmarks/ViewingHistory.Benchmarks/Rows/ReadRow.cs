using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ViewingHistory.Benchmarks.Harness;
using static ViewingHistory.Benchmarks.Harness.Report;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// Row 7: the first history page (limit 20) for members with 10, 1,000 and 10,000 items; for the 10,000-item member,
/// of which 50 are in progress, the first continue-watching page beside it, and each answered 304 against 200
/// (If-None-Match with the current ETag); store bytes per million events.
/// </summary>
public static class ReadRow
{
    private const int BigMember = 10_000;
    private const int InProgressEvery = 200; // 50 of 10,000

    public static async Task RunAsync(Suite suite)
    {
        var dataDir = suite.NewDataDir("read");
        await using var server = await Children.StartServerAsync(dataDir);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var sizes = new[] { 10, 1_000, BigMember };
        foreach (var size in sizes)
        {
            for (var first = 0; first < size; first += 500)
            {
                var sb = new StringBuilder();
                Workload.WriteItems(sb, $"reader{size}", first, Math.Min(500, size - first), size == BigMember ? InProgressEvery : 0);
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
                var (elapsed, _, _) = await GetAsync(http, $"/v1/members/reader{size}/history?limit=20", null);
                if (i >= 50)
                {
                    latency.Add(elapsed);
                }
            }

            results.Add((size, latency.QuantileMs(0.5), latency.QuantileMs(0.99)));
        }

        var variants = await ConditionalReadsAsync(http, requests);
        var sb2 = new StringBuilder();
        sb2.AppendLine($"SQLite, one client in the benchmark process, sequential requests (50 warm-up, then {requests} measured per member), first page of 20 items with the service key. Load {F(Children.LoadAverage(), 1)}.");
        sb2.AppendLine();
        sb2.AppendLine("| items of the member | p50 ms | p99 ms |");
        sb2.AppendLine("|---:|---:|---:|");
        foreach (var (items, p50, p99) in results)
        {
            sb2.AppendLine($"| {F(items)} | {F(p50, 2)} | {F(p99, 2)} |");
        }

        sb2.AppendLine();
        sb2.AppendLine($"Continue watching and conditional reads, member with {F(BigMember)} items of which {F(BigMember / InProgressEvery)} are in progress (spread over its history): the four reads below take turns, one of each per round ({requests} measured rounds after 50 warm-up), so they share the machine's load. \"304\" sends `If-None-Match` with the ETag the 200 gave. Load {F(Children.LoadAverage(), 1)}.");
        sb2.AppendLine();
        sb2.AppendLine("| read | status | body bytes | p50 ms | p99 ms | p50 ÷ history 200 | p50 ÷ its own 200 |");
        sb2.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        var history200 = variants[0].Latency.QuantileMs(0.5);
        for (var v = 0; v < variants.Length; v++)
        {
            var (name, status, bytes, latency) = variants[v];
            var own200 = variants[v - (v % 2)].Latency.QuantileMs(0.5);
            sb2.AppendLine($"| {name} | {status} | {F(bytes)} | {F(latency.QuantileMs(0.5), 2)} | {F(latency.QuantileMs(0.99), 2)} | {F(latency.QuantileMs(0.5) / history200, 2)} | {F(latency.QuantileMs(0.5) / own200, 2)} |");
        }

        sb2.AppendLine();
        sb2.AppendLine("The server reads the store and builds every answer before it compares tags (the tag is a hash of the body), so a 304 saves the body's bytes on the wire and the client's parse, not the store read.");
        if (suite.Shared.TryGetValue("sqlite_bytes_per_million_events", out var bytesPerMillion))
        {
            sb2.AppendLine();
            var queue = suite.Shared.TryGetValue("queue_bytes_per_million_events", out var queueBytes)
                ? $"; the embedded queue's files: {F(queueBytes / 1e6, 1)} MB per million events (before truncation catches up)"
                : string.Empty;
            sb2.AppendLine($"Store bytes per million events (row 3's heartbeat backlog in the last run of row 3, SQLite file + WAL after the drain): **{F(bytesPerMillion / 1e6, 1)} MB**{queue}.");
        }

        suite.Report.Add("row7_read", "7. Read path and store size", sb2.ToString(), new
        {
            pages = results.Select(r => new { items = r.Items, p50_ms = r.P50, p99_ms = r.P99 }),
            conditional = variants.Select(v => new { read = v.Name, status = v.Status, body_bytes = v.Bytes, p50_ms = v.Latency.QuantileMs(0.5), p99_ms = v.Latency.QuantileMs(0.99) }),
            sqlite_bytes_per_million_events = suite.Shared.GetValueOrDefault("sqlite_bytes_per_million_events"),
            queue_bytes_per_million_events = suite.Shared.TryGetValue("queue_bytes_per_million_events", out var q) ? q : (double?)null,
        });
    }

    /// <summary>History and continue-watching first pages of the big member, each as a 200 and as a 304, interleaved.</summary>
    private static async Task<(string Name, int Status, long Bytes, LatencyRecorder Latency)[]> ConditionalReadsAsync(HttpClient http, int requests)
    {
        var paths = new[] { $"/v1/members/reader{BigMember}/history?limit=20", $"/v1/members/reader{BigMember}/continue-watching?limit=20" };
        var tags = new string[paths.Length];
        for (var p = 0; p < paths.Length; p++)
        {
            var (_, status, tag) = await GetAsync(http, paths[p], null);
            tags[p] = status == HttpStatusCode.OK && tag is not null ? tag : throw new InvalidOperationException($"{paths[p]} answered {status} without a tag");
        }

        var variants = new (string Name, int Status, long Bytes, LatencyRecorder Latency)[]
        {
            ("history first page", 200, 0, new LatencyRecorder()),
            ("history first page", 304, 0, new LatencyRecorder()),
            ("continue-watching first page", 200, 0, new LatencyRecorder()),
            ("continue-watching first page", 304, 0, new LatencyRecorder()),
        };
        for (var i = 0; i < requests + 50; i++)
        {
            for (var v = 0; v < variants.Length; v++)
            {
                var conditional = variants[v].Status == 304;
                var (elapsed, status, _, bytes) = await GetWithBytesAsync(http, paths[v / 2], conditional ? tags[v / 2] : null);
                if ((int)status != variants[v].Status)
                {
                    throw new InvalidOperationException($"{paths[v / 2]} answered {(int)status}, expected {variants[v].Status}");
                }

                variants[v].Bytes = bytes;
                if (i >= 50)
                {
                    variants[v].Latency.Add(elapsed);
                }
            }
        }

        return variants;
    }

    private static async Task<(long ElapsedUs, HttpStatusCode Status, string? Tag)> GetAsync(HttpClient http, string path, string? ifNoneMatch)
    {
        var (elapsed, status, tag, _) = await GetWithBytesAsync(http, path, ifNoneMatch);
        return (elapsed, status, tag);
    }

    private static async Task<(long ElapsedUs, HttpStatusCode Status, string? Tag, long Bytes)> GetWithBytesAsync(HttpClient http, string path, string? ifNoneMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Children.ServiceKey);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        var started = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.NotModified))
        {
            throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
        }

        return (elapsed, response.StatusCode, response.Headers.ETag?.Tag, body.Length);
    }
}
