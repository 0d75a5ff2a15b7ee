using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests.Feeds;

/// <summary>
/// Issue 7 "change feed" on a real server process: the feed replayed from 0 folds to the reads, the same after a
/// SIGKILL and a restart; <c>vh feed tail</c> prints it; retention prunes old changes and a reader from 0 starts at
/// the oldest change retained.
/// </summary>
public sealed class ChangeFeedProcessTests : IDisposable
{
    private const string IngestKey = "e2e-ingest-key-0123456789";
    private const string ServiceKey = "e2e-service-key-0123456789";
    private readonly TempDirectory _data = new("vh-e2e-feed");

    private Dictionary<string, string> Settings(string retention = "7.00:00:00") => new()
    {
        ["DataDir"] = _data.Path,
        ["Auth:IngestKeys:0"] = IngestKey,
        ["Auth:ServiceKeys:0"] = ServiceKey,
        ["Auth:MemberTokenSecret"] = "e2e-member-token-secret-0123456789-abcdef",
        ["Store:ChangeRetention"] = retention,
        ["Feed:PruneInterval"] = "00:00:00.200",
    };

    [Fact]
    public async Task The_feed_replayed_from_0_after_a_SIGKILL_and_a_restart_folds_to_the_same_reads_and_vh_feed_tail_prints_it()
    {
        var driver = new LoadDriver(IngestKey, $"feed-{Guid.NewGuid():N}"[..16]) { Members = 5 };
        List<JsonObject> before;
        Dictionary<string, string> reads;
        await using (var server = await ServerProcess.StartAsync(Settings()))
        {
            await ChurnAsync(server, driver);
            reads = await FeedClient.ReadsAsync(server.Client, ServiceKey, driver.MembersUsed);
            before = await FeedClient.ReadAsync(server.Client, ServiceKey);
            Assert.Equal(reads, FeedClient.Visible(FeedClient.Fold(before), driver.MembersUsed));
            await server.KillAsync();
        }

        await using var restarted = await ServerProcess.StartAsync(Settings());
        var after = await FeedClient.ReadAsync(restarted.Client, ServiceKey);
        Assert.Equal(before.Select(c => c.ToJsonString()), after.Select(c => c.ToJsonString()));
        Assert.Equal(reads, FeedClient.Visible(FeedClient.Fold(after), driver.MembersUsed));
        Assert.Equal(reads, await FeedClient.ReadsAsync(restarted.Client, ServiceKey, driver.MembersUsed));

        // vh feed tail prints the same changes, from 0 and from a position in the middle.
        var tailed = await FeedClient.TailToEndAsync(restarted.BaseAddress, ServiceKey, "--after", "0", "--limit", "333");
        Assert.Equal(after.Select(c => c.ToJsonString()), tailed.Select(c => c.ToJsonString()));
        var middle = FeedClient.Position(after[after.Count / 2]);
        var suffix = await FeedClient.TailToEndAsync(restarted.BaseAddress, ServiceKey, "--after", middle.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(after.Where(c => FeedClient.Position(c) > middle).Select(c => c.ToJsonString()), suffix.Select(c => c.ToJsonString()));
    }

    [Fact]
    public async Task vh_feed_tail_follow_prints_a_change_made_after_it_started()
    {
        await using var server = await ServerProcess.StartAsync(Settings());
        var member = $"follow-{Guid.NewGuid():N}"[..20];
        using var vh = FeedClient.StartTail(server.BaseAddress, ServiceKey, "--follow", "--poll-interval", "00:00:00.100");
        var lines = new List<string>();
        vh.OutputDataReceived += (_, e) =>
        {
            lock (lines)
            {
                if (e.Data is { Length: > 0 } line)
                {
                    lines.Add(line);
                }
            }
        };
        vh.BeginOutputReadLine();
        try
        {
            await PostAsync(server, $$"""[{"eventId":"{{member}}-e1","memberId":"{{member}}","titleId":"t1","sessionId":"s","seq":0,"type":"start","positionMs":0,"durationMs":1000,"timestamp":"2026-11-01T00:00:00Z"}]""");
            await Eventually.UntilAsync(
                () =>
                {
                    lock (lines)
                    {
                        return Task.FromResult(lines.Any(l => (string?)JsonNode.Parse(l)!["memberId"] == member));
                    }
                },
                TimeSpan.FromSeconds(30),
                "vh feed tail --follow to print the new change");
        }
        finally
        {
            vh.Kill();
            await vh.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Retention_prunes_old_changes_and_a_reader_from_0_starts_at_the_oldest_change_retained()
    {
        var old = new LoadDriver(IngestKey, $"old-{Guid.NewGuid():N}"[..16]) { Members = 2, BatchSize = 10 };
        List<JsonObject> oldChanges;
        await using (var server = await ServerProcess.StartAsync(Settings()))
        {
            for (var i = 0; i < 5; i++)
            {
                Assert.True(await old.PostOneAsync(server.Client, i, CancellationToken.None));
            }

            await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(server.Client, ServiceKey, old, TimeSpan.FromSeconds(30));
            oldChanges = await FeedClient.ReadAsync(server.Client, ServiceKey);
            await server.StopAsync(TimeSpan.FromSeconds(30));
        }

        // A second run keeps changes for one second only: the old ones go, the newest change always stays.
        var recent = new LoadDriver(IngestKey, $"new-{Guid.NewGuid():N}"[..16]) { Members = 1, BatchSize = 10 };
        var lastOld = FeedClient.Position(oldChanges[^1]);
        await using (var server = await ServerProcess.StartAsync(Settings(retention: "00:00:01")))
        {
            Assert.True(await recent.PostOneAsync(server.Client, 0, CancellationToken.None));
            await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(server.Client, ServiceKey, recent, TimeSpan.FromSeconds(30));
            await Eventually.UntilAsync(
                async () => (await FeedClient.ReadAsync(server.Client, ServiceKey)).All(c => FeedClient.Position(c) > lastOld),
                TimeSpan.FromSeconds(30),
                "the old changes to be pruned");
            await server.StopAsync(TimeSpan.FromSeconds(30));
        }

        // Read back with a long retention again, so nothing moves while the readers compare.
        await using var reader = await ServerProcess.StartAsync(Settings());
        var fromZero = await FeedClient.ReadAsync(reader.Client, ServiceKey);
        Assert.NotEmpty(fromZero);
        Assert.True(FeedClient.Position(fromZero[0]) > lastOld, "a reader from 0 starts after the pruned changes");
        var fromPruned = await FeedClient.ReadAsync(reader.Client, ServiceKey, after: FeedClient.Position(oldChanges[0]));
        Assert.Equal(fromZero.Select(c => c.ToJsonString()), fromPruned.Select(c => c.ToJsonString()));
        Assert.Equal(fromZero[0].ToJsonString(), (await FeedClient.ReadAsync(reader.Client, ServiceKey, after: 0, limit: 1))[0].ToJsonString());
        Assert.All(fromZero, c => Assert.StartsWith("new-", (string)c["memberId"]!, StringComparison.Ordinal));
    }

    public void Dispose() => _data.Dispose();

    /// <summary>New items from the load driver, then updates of some and hides of others: every kind of change.</summary>
    private static async Task ChurnAsync(ServerProcess server, LoadDriver driver)
    {
        for (var i = 0; i < 40; i++)
        {
            Assert.True(await driver.PostOneAsync(server.Client, i, CancellationToken.None));
        }

        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(server.Client, ServiceKey, driver, TimeSpan.FromSeconds(60));
        var keys = driver.Acknowledged.Keys.Order(StringComparer.Ordinal).ToList();
        var updates = new JsonArray();
        foreach (var key in keys.Take(100))
        {
            var e = driver.Acknowledged[key];
            updates.Add(new JsonObject
            {
                ["eventId"] = (string)e["eventId"]! + "-u",
                ["memberId"] = (string)e["memberId"]!,
                ["titleId"] = (string)e["titleId"]!,
                ["sessionId"] = "s",
                ["seq"] = 1,
                ["type"] = "stop",
                ["positionMs"] = 99_999,
                ["durationMs"] = 100_000,
                ["timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            });
        }

        await PostAsync(server, updates.ToJsonString());
        foreach (var key in keys.Skip(100).Take(20))
        {
            using var hide = new HttpRequestMessage(HttpMethod.Delete, $"/v1/members/{key[..key.IndexOf('/', StringComparison.Ordinal)]}/history/{key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..]}");
            hide.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServiceKey);
            using var response = await server.Client.SendAsync(hide);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        await Eventually.UntilAsync(
            async () =>
            {
                var items = await HistoryVerifier.ReadAllAsync(server.Client, ServiceKey, driver.MembersUsed);
                return keys.Take(100).All(k => items.TryGetValue(k, out var item) && (long)item["positionMs"]! == 99_999)
                    && keys.Skip(100).Take(20).All(k => !items.ContainsKey(k));
            },
            TimeSpan.FromSeconds(60),
            "the updates and hides to show");
    }

    private static async Task PostAsync(ServerProcess server, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", IngestKey);
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }
}
