using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ViewingHistory.Core.Events;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Issue 18: a store of two PostgreSQL shards (two real servers), one of them stopped for a few seconds under load. The
/// other shard's members go on: their events are applied and read 200 meanwhile, while the down shard's members read
/// 503 with Retry-After; readiness stays 200. After the restart every acknowledged event arrives, and the change feed
/// folded from 0 equals the reads. The class owns its servers, so the stop never touches another test.
/// </summary>
public sealed class ShardOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly PostgresServer[] _shards = [new(), new()];
    private readonly TempDirectory _data = new("vh-e2e-shards");
    private NatsServer _nats = null!;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_shards.Select(s => s.InitializeAsync()));
        _nats = await NatsServer.StartNewAsync();
    }

    [Fact(Timeout = 240_000)]
    public async Task A_stopped_shard_stalls_only_its_members_and_everything_arrives_after_its_restart()
    {
        var settings = Distributed.Settings(_data.Path, _nats.Url, postgres: null);
        settings.Remove("Store:ConnectionString");
        settings["Store:Kind"] = "postgres";
        for (var i = 0; i < _shards.Length; i++)
        {
            settings[$"Store:Shards:{i}"] = await _shards[i].CreateDatabaseAsync();
        }

        await using var server = await ServerProcess.StartAsync(settings);
        var driver = new LoadDriver(Distributed.IngestKey, "shard-outage") { BatchSize = 10, Members = 8 };
        using var stop = new CancellationTokenSource();
        var load = driver.RunAsync(() => Distributed.Client(server), clients: 8, stop.Token);
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= 400), TimeSpan.FromSeconds(60), "400 acknowledged events before the fault");
        var members = driver.MembersUsed.ToList();
        var up = members.Where(m => MemberHash.Partition(m, 2) == 0).ToList();
        var down = members.Where(m => MemberHash.Partition(m, 2) == 1).ToList();
        Assert.NotEmpty(up);
        Assert.NotEmpty(down);

        await _shards[1].StopAsync();
        List<string> ackedDuringOutage;
        try
        {
            await Eventually.UntilAsync(async () => await HistoryStatusAsync(server, down[0]) == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), "the down shard's member to read 503");
            var ackedAtStop = driver.Acknowledged.Keys.ToHashSet(StringComparer.Ordinal);
            await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= ackedAtStop.Count + 400), TimeSpan.FromSeconds(60), "400 more acknowledged events during the outage");
            ackedDuringOutage = [.. driver.Acknowledged.Keys.Where(k => !ackedAtStop.Contains(k) && up.Contains(k[..k.IndexOf('/', StringComparison.Ordinal)]))];
            Assert.NotEmpty(ackedDuringOutage);

            // The healthy shard's members: their new events applied while the other shard is still down.
            await Eventually.UntilAsync(
                async () =>
                {
                    var items = await HistoryVerifier.ReadAllAsync(server.Client, Distributed.ServiceKey, up);
                    return ackedDuringOutage.All(items.ContainsKey);
                },
                TimeSpan.FromSeconds(60),
                $"the {ackedDuringOutage.Count} events of the healthy shard's members acknowledged during the outage to show");

            using (var refused = await GetHistoryAsync(server, down[0]))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
                Assert.NotNull(refused.Headers.RetryAfter);
            }

            Assert.Equal(200, await Distributed.ReadyStatusAsync(server));
            // The gauge shows the last readiness check's answers: a scrape or two after the stop.
            await Eventually.UntilAsync(
                async () => await server.Client.GetStringAsync("/metrics") is var metrics && ShardGauge(metrics, 0, 1) && ShardGauge(metrics, 1, 0),
                TimeSpan.FromSeconds(30),
                "vh_store_shard_up 1 for shard 0 and 0 for shard 1");
        }
        finally
        {
            await _shards[1].StartAsync();
        }

        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= 1600), TimeSpan.FromSeconds(60), "more acknowledged events after the restart");
        await stop.CancelAsync();
        await load;
        output.WriteLine($"{driver.StatusSummary()}; {ackedDuringOutage.Count} events of the healthy shard's members applied during the outage");
        Assert.Equal([202], driver.Statuses.Keys);
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(server.Client, Distributed.ServiceKey, driver, TimeSpan.FromSeconds(120));
        await AssertFeedFoldEqualsReadsAsync(server, members);
    }

    /// <summary>The feed from 0, folded (last change per item wins), is the reads of every member; positions only grow.</summary>
    private static async Task AssertFeedFoldEqualsReadsAsync(ServerProcess server, IReadOnlyList<string> members)
    {
        var reads = await HistoryVerifier.ReadAllAsync(server.Client, Distributed.ServiceKey, members);
        await Eventually.UntilAsync(
            async () =>
            {
                var fold = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
                long after = 0;
                while (true)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/changes?after={after}&limit=1000");
                    request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Distributed.ServiceKey);
                    using var response = await server.Client.SendAsync(request);
                    response.EnsureSuccessStatusCode();
                    var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
                    var changes = page["changes"]!.AsArray();
                    foreach (var change in changes)
                    {
                        var position = (long)change!["position"]!;
                        Assert.True(position > after, $"position {position} after {after}");
                        after = position;
                        fold[$"{(string)change["memberId"]!}/{(string)change["titleId"]!}"] = change["item"]?.DeepClone();
                    }

                    after = Math.Max(after, (long)page["next"]!);
                    if (changes.Count == 0)
                    {
                        break;
                    }
                }

                var live = fold.Where(f => f.Value is not null && members.Contains(f.Key[..f.Key.IndexOf('/', StringComparison.Ordinal)])).ToDictionary(f => f.Key, f => f.Value!.ToJsonString());
                return live.Count == reads.Count && reads.All(r => live.TryGetValue(r.Key, out var item) && item == r.Value.ToJsonString());
            },
            TimeSpan.FromSeconds(60),
            "the feed folded from 0 to equal the reads");
    }

    private static bool ShardGauge(string metrics, int shard, int value) =>
        Regex.IsMatch(metrics, $@"^vh_store_shard_up\{{[^}}]*shard=""{shard}""[^}}]*\}} {value}( |$)", RegexOptions.Multiline);

    private static async Task<HttpStatusCode> HistoryStatusAsync(ServerProcess server, string member)
    {
        using var response = await GetHistoryAsync(server, member);
        return response.StatusCode;
    }

    private static Task<HttpResponseMessage> GetHistoryAsync(ServerProcess server, string member)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/members/{member}/history?limit=1");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Distributed.ServiceKey);
        return server.Client.SendAsync(request);
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        foreach (var shard in _shards)
        {
            await shard.DisposeAsync();
        }

        _data.Dispose();
    }
}
