using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Realistic heartbeats: a few members keep advancing the same sessions (so the same rows are merged again and
/// again, across whatever paths the members take). Remembers every acknowledged event; the expected history is the
/// contract's reducer over them. Any answer other than 202, or a 202 of another shape, is recorded as a failure.
/// </summary>
public sealed class HeartbeatDriver(string ingestKey, string prefix, int members = 40)
{
    private readonly ConcurrentBag<PlaybackEvent> _acknowledged = [];
    private readonly ConcurrentBag<string> _failures = [];
    private long _seq;

    public IReadOnlyCollection<PlaybackEvent> Acknowledged => _acknowledged;

    public IReadOnlyCollection<string> Failures => _failures;

    public IEnumerable<string> Members => Enumerable.Range(0, members).Select(Member);

    public async Task RunAsync(HttpClient http, TimeSpan duration, int clients = 4)
    {
        using var stop = new CancellationTokenSource(duration);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            while (!stop.IsCancellationRequested)
            {
                await PostAsync(http, random);
            }
        })));
    }

    private async Task PostAsync(HttpClient http, Random random)
    {
        var events = new List<PlaybackEvent>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < 20; i++)
        {
            var seq = (int)Interlocked.Increment(ref _seq);
            var m = random.Next(members);
            events.Add(new PlaybackEvent(
                $"{prefix}-{seq}", Member(m), $"t{random.Next(5)}", $"s{random.Next(3)}", seq, PlaybackEventType.Progress,
                random.Next(0, 3_600_000), 3_600_000, now - random.Next(0, 120_000), null));
        }

        var body = new JsonArray(events.Select(e => (JsonNode)new JsonObject
        {
            ["eventId"] = e.EventId,
            ["memberId"] = e.MemberId,
            ["titleId"] = e.TitleId,
            ["sessionId"] = e.SessionId,
            ["seq"] = e.Seq,
            ["type"] = "progress",
            ["positionMs"] = e.PositionMs,
            ["durationMs"] = e.DurationMs,
            ["timestamp"] = Timestamps.Format(e.TimestampMs),
        }).ToArray()).ToJsonString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + ingestKey);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Accepted || text != $"{{\"accepted\":{events.Count}}}")
        {
            _failures.Add($"{(int)response.StatusCode}: {text}");
            return;
        }

        foreach (var e in events)
        {
            _acknowledged.Add(e);
        }
    }

    /// <summary>Polls until every member's history is the contract's history of the acknowledged events, item for item.</summary>
    public async Task AssertHistoryAsync(HttpClient http, string serviceKey, TimeSpan timeout)
    {
        var expected = HistoryReducer.Compute(_acknowledged, []);
        string Render(IEnumerable<HistoryItem> items) => string.Join(";", items.Select(i =>
            $"{i.TitleId}|{Timestamps.Format(i.LastWatchedAtMs)}|{i.PositionMs}|{i.DurationMs}|{i.Progress4.ToString(CultureInfo.InvariantCulture)}|{i.Completed}|{i.Sessions}"));
        var want = Members.ToDictionary(m => m, m => expected.TryGetValue(m, out var items) ? Render(items) : "");
        var got = new Dictionary<string, string>();
        await Eventually.UntilAsync(
            async () =>
            {
                foreach (var member in Members)
                {
                    got[member] = await ReadAsync(http, serviceKey, member);
                }

                return want.All(kv => got[kv.Key] == kv.Value);
            },
            timeout,
            "the history to equal the contract's history of the acknowledged events");
    }

    /// <summary>Reads a member's whole history, checking the page and item shapes on the way.</summary>
    private static async Task<string> ReadAsync(HttpClient http, string serviceKey, string member)
    {
        var parts = new List<string>();
        string? cursor = null;
        do
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/members/{member}/history?limit=3" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + serviceKey);
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            Assert.Equal(["items", "nextCursor"], page.Select(p => p.Key));
            foreach (var item in page["items"]!.AsArray().Select(i => i!.AsObject()))
            {
                Assert.Equal(["titleId", "lastWatchedAt", "positionMs", "durationMs", "progress", "completed", "sessions"], item.Select(p => p.Key));
                parts.Add($"{item["titleId"]}|{item["lastWatchedAt"]}|{item["positionMs"]}|{item["durationMs"]}|{((double)item["progress"]!).ToString(CultureInfo.InvariantCulture)}|{(bool)item["completed"]!}|{item["sessions"]}");
            }

            cursor = (string?)page["nextCursor"];
        }
        while (cursor is not null);
        return string.Join(";", parts);
    }

    private string Member(int i) => $"{prefix}-m{i}";
}
