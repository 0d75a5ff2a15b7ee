using System.Text;
using System.Text.Json.Nodes;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;

namespace ViewingHistory.EndToEnd.Tests.Feeds;

/// <summary>
/// Issue 7 "distributed feed": with <c>Queue:Kind=jetstream</c> every change of the feed is published to the stream
/// VH_CHANGES exactly once, in position order, on its member's subject, also across a SIGKILL of the server; and the
/// archive, a second durable consumer of the JetStream queue, holds every acknowledged event.
/// </summary>
public sealed class ChangeRelayTests : IAsyncLifetime
{
    private const string IngestKey = "e2e-ingest-key-0123456789";
    private const string ServiceKey = "e2e-service-key-0123456789";
    private readonly TempDirectory _data = new("vh-e2e-relay");
    private NatsServer _nats = null!;

    public async Task InitializeAsync() => _nats = await NatsServer.StartNewAsync();

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        _data.Dispose();
    }

    private Dictionary<string, string> Settings() => new()
    {
        ["DataDir"] = _data.Path,
        ["Auth:IngestKeys:0"] = IngestKey,
        ["Auth:ServiceKeys:0"] = ServiceKey,
        ["Auth:MemberTokenSecret"] = "e2e-member-token-secret-0123456789-abcdef",
        ["Queue:Kind"] = "jetstream",
        ["Queue:Url"] = _nats.Url,
        ["Feed:RelayPollInterval"] = "00:00:00.050",
        ["Archive:FlushInterval"] = "00:00:00.200",
    };

    [Fact]
    public async Task The_relay_publishes_every_change_once_in_position_order_and_the_archive_has_every_event_also_across_a_SIGKILL()
    {
        var driver = new LoadDriver(IngestKey, $"rel-{Guid.NewGuid():N}"[..16]) { Members = 10, BatchSize = 20 };
        // The relay is mid-page: some changes are published and its saved position is behind them.
        await KillUnderLoad.RunAsync(Settings(), driver, acknowledged: 3_000);

        await using var restarted = await ServerProcess.StartAsync(Settings());
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(restarted.Client, ServiceKey, driver, TimeSpan.FromSeconds(90));
        var feed = await FeedClient.ReadAsync(restarted.Client, ServiceKey);

        await using var nats = new NatsConnection(new NatsOpts { Url = _nats.Url });
        var js = new NatsJSContext(nats);
        await WaitForStreamAsync(js, feed.Count, restarted);

        var published = await ReadStreamAsync(js, feed.Count);
        Assert.Equal(feed.Count, (int)(await js.GetStreamAsync("VH_CHANGES")).Info.State.Messages);
        Assert.Equal(feed.Select(c => c.ToJsonString()), published.Select(p => p.Change.ToJsonString()));
        Assert.All(published, p => Assert.Equal("vh.changes." + (string)p.Change["memberId"]!, p.Subject));
        Assert.All(published, p => Assert.Equal(FeedClient.Position(p.Change).ToString(System.Globalization.CultureInfo.InvariantCulture), p.MsgId));

        var acknowledged = driver.Acknowledged.Values.Select(e => (string)e["eventId"]!).ToHashSet(StringComparer.Ordinal);
        await Eventually.UntilAsync(
            () => Task.FromResult(ArchiveQuery.ReadAll(Path.Combine(_data.Path, "archive"))),
            rows => acknowledged.IsSubsetOf(rows.Select(r => r.EventId)),
            TimeSpan.FromSeconds(60),
            "every acknowledged eventId in the archive");
    }

    /// <summary>Waits until VH_CHANGES holds <paramref name="count"/> messages; a timeout carries the server log's tail.</summary>
    private static async Task WaitForStreamAsync(NatsJSContext js, int count, ServerProcess server)
    {
        try
        {
            await Eventually.UntilAsync(
                async () => (await js.GetStreamAsync("VH_CHANGES")).Info.State.Messages,
                n => n >= count,
                TimeSpan.FromSeconds(60),
                $"{count} changes in VH_CHANGES");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\nServer log (tail):\n{server.Output[^Math.Min(4000, server.Output.Length)..]}", ex);
        }
    }

    /// <summary>
    /// Issue 12 item 4: <c>x.</c>, <c>.y</c> and <c>a..b</c> are valid member ids, but published as they are they make
    /// invalid subjects (<c>vh.changes.x.</c>); the publish got no answer and the relay retried that change forever,
    /// so VH_CHANGES received nothing more for anyone. Member ids are now one percent-encoded token each.
    /// </summary>
    [Fact]
    public async Task Changes_of_members_whose_ids_are_no_valid_subject_tokens_reach_the_stream_on_decodable_subjects_and_do_not_halt_later_changes()
    {
        string[] odd = ["x.", ".y", "a..b", "a:b", "-", "a.b", "_.-:"];
        string[] ordinary = ["plain-1", "Plain_2", "p:3"];
        await using var server = await ServerProcess.StartAsync(Settings());
        await PostAsync(server, odd);
        await PostAsync(server, ordinary);
        var expected = odd.Concat(ordinary).ToHashSet(StringComparer.Ordinal);
        var feed = await Eventually.UntilAsync(
            () => FeedClient.ReadAsync(server.Client, ServiceKey),
            f => expected.IsSubsetOf(f.Select(c => (string)c["memberId"]!)),
            TimeSpan.FromSeconds(60),
            "a change of every member in /v1/changes");

        await using var nats = new NatsConnection(new NatsOpts { Url = _nats.Url });
        var js = new NatsJSContext(nats);
        await WaitForStreamAsync(js, feed.Count, server);

        var published = await ReadStreamAsync(js, feed.Count);
        Assert.Equal(feed.Select(c => c.ToJsonString()), published.Select(p => p.Change.ToJsonString()));
        foreach (var (subject, _, change) in published)
        {
            var memberId = (string)change["memberId"]!;
            Assert.StartsWith("vh.changes.", subject, StringComparison.Ordinal);
            var token = subject["vh.changes.".Length..];
            Assert.DoesNotContain('.', token);
            Assert.Equal(memberId, Uri.UnescapeDataString(token));
        }

        Assert.Equal(expected, published.Select(p => (string)p.Change["memberId"]!).ToHashSet(StringComparer.Ordinal));
        Assert.All(published.Where(p => ordinary.Contains((string)p.Change["memberId"]!)), p => Assert.Equal("vh.changes." + (string)p.Change["memberId"]!, p.Subject));
        Assert.Contains(published, p => p.Subject == "vh.changes.a%2E%2Eb");
    }

    private static async Task PostAsync(ServerProcess server, IEnumerable<string> members)
    {
        var batch = new JsonArray();
        foreach (var member in members)
        {
            batch.Add(new JsonObject
            {
                ["eventId"] = $"e-{Guid.NewGuid():N}",
                ["memberId"] = member,
                ["titleId"] = "t.1",
                ["sessionId"] = "s",
                ["seq"] = 0,
                ["type"] = "progress",
                ["positionMs"] = 1000,
                ["durationMs"] = 100_000,
                ["timestamp"] = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            });
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + IngestKey);
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
    }

    private static async Task<List<(string Subject, string? MsgId, JsonObject Change)>> ReadStreamAsync(NatsJSContext js, int count)
    {
        var consumer = await js.CreateOrderedConsumerAsync("VH_CHANGES", new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.All });
        var messages = new List<(string, string?, JsonObject)>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var msg in consumer.ConsumeAsync<byte[]>(cancellationToken: deadline.Token))
        {
            var msgId = msg.Headers is { } h && h.TryGetValue("Nats-Msg-Id", out var id) ? id.ToString() : null;
            messages.Add((msg.Subject, msgId, JsonNode.Parse(Encoding.UTF8.GetString(msg.Data!))!.AsObject()));
            if (messages.Count == count)
            {
                break;
            }
        }

        return messages;
    }
}
