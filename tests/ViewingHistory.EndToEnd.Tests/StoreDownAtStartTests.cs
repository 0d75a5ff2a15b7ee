using System.Diagnostics;
using System.Net;
using ViewingHistory.Core.Events;
using ViewingHistory.Testing;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// A process started while its PostgreSQL store is down (an ingest node restarted, or added by the autoscaler, during a
/// store outage): it starts, its async ingest answers 202 (CONTRACT.md "Operations"), reads of what the store cannot
/// serve answer 503 with Retry-After, and once the server answers the store is initialized on first use and every
/// acknowledged event arrives. With two shards, shard 1 down at start stalls only its members (issue 18). The stopped
/// server is the test's own; shard 0 and NATS are the collection's.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class StoreDownAtStartTests(DistributedEngines engines, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly PostgresServer _down = new();
    private readonly TempDirectory _data = new("vh-e2e-downstart");

    public Task InitializeAsync() => _down.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _down.DisposeAsync();
        _data.Dispose();
    }

    [Fact(Timeout = 120_000)]
    public async Task A_process_started_with_shard_1_down_serves_ingest_and_shard_0s_members_and_everything_arrives_once_shard_1_answers()
    {
        var shard1 = await _down.CreateDatabaseAsync();
        await _down.StopAsync();
        var settings = Settings(postgres: null);
        settings.Remove("Store:ConnectionString");
        settings["Store:Shards:0"] = await engines.Postgres.CreateDatabaseAsync();
        settings["Store:Shards:1"] = shard1;

        var clock = Stopwatch.StartNew();
        await using var server = await ServerProcess.StartAsync(settings);
        var started = clock.Elapsed;
        await Eventually.UntilAsync(() => Task.FromResult(server.Output.Contains("cannot be reached at start", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the start to log that the store is initialized when it answers");
        // Shard 0 answers, so the processor and the api can do their work for its members: the process is ready.
        var ready = await Readiness.ReadAsync(server);
        Assert.True(ready is (200, "ready", _) && ready.Roles["ingest"] == "ok", Readiness.Show(ready));

        var driver = new LoadDriver(Distributed.IngestKey, $"dst-{Guid.NewGuid():N}"[..12]) { BatchSize = 10, Members = 8 };
        await PostAsync(server, driver, batches: 24);
        var members = driver.MembersUsed.ToList();
        var up = members.Where(m => MemberHash.Partition(m, 2) == 0).ToList();
        var down = members.Where(m => MemberHash.Partition(m, 2) == 1).ToList();
        Assert.NotEmpty(up);
        Assert.NotEmpty(down);

        // Shard 0's members: applied and read while shard 1 has never been initialized.
        var upAcked = driver.Acknowledged.Keys.Where(k => up.Contains(k[..k.IndexOf('/', StringComparison.Ordinal)])).ToList();
        await Eventually.UntilAsync(
            async () => (await HistoryVerifier.ReadAllAsync(server.Client, Distributed.ServiceKey, up)) is var items && upAcked.All(items.ContainsKey),
            TimeSpan.FromSeconds(30),
            $"the {upAcked.Count} events of shard 0's members to show");
        await AssertUnavailableAsync(server, down[0]);
        var shard0Shown = clock.Elapsed;

        await _down.StartAsync();
        var shard1Started = clock.Elapsed;
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(server.Client, Distributed.ServiceKey, driver, TimeSpan.FromSeconds(60));
        output.WriteLine(
            $"{driver.StatusSummary()}; {up.Count} members on shard 0, {down.Count} on shard 1; ready after {started.TotalSeconds:0.0} s, shard 0's " +
            $"events shown at {shard0Shown.TotalSeconds:0.0} s, shard 1 started at {shard1Started.TotalSeconds:0.0} s, everything shown at {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact(Timeout = 120_000)]
    public async Task A_process_started_with_its_store_down_answers_202_and_503_with_retry_after_and_catches_up_once_the_store_answers()
    {
        var db = await _down.CreateDatabaseAsync();
        await _down.StopAsync();

        await using var server = await ServerProcess.StartAsync(Settings(db));
        // The store is down for every node alike: processor and api failing, the process degraded but still balanced to.
        var ready = await Readiness.ReadAsync(server);
        Assert.True(ready is (200, "degraded", _) && ready.Roles is { Count: 3 } roles && roles["ingest"] == "ok" && roles["processor"] == "failing" && roles["api"] == "failing", Readiness.Show(ready));
        Assert.Equal(200, (await Readiness.ReadAsync(server, "ingest")).Code);

        var driver = new LoadDriver(Distributed.IngestKey, $"dsu-{Guid.NewGuid():N}"[..12]) { BatchSize = 10, Members = 4 };
        await PostAsync(server, driver, batches: 8);
        await AssertUnavailableAsync(server, driver.MembersUsed.First());

        await _down.StartAsync();
        // Readiness goes through the same deferred initialization as every operation: it turns ready by itself.
        await Eventually.UntilAsync(async () => (await Readiness.ReadAsync(server)).Status == "ready", TimeSpan.FromSeconds(30), "readiness to turn ready once the store answers");
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(server.Client, Distributed.ServiceKey, driver, TimeSpan.FromSeconds(60));
        output.WriteLine(driver.StatusSummary());
    }

    private Dictionary<string, string> Settings(string? postgres)
    {
        var settings = Distributed.Settings(_data.Path, engines.Nats.Url, postgres);
        settings["Store:Kind"] = "postgres";
        settings["Processor:MaxBackoff"] = "00:00:01";
        foreach (var (key, value) in DistributedEngines.StreamSettings(DistributedEngines.NewStreamName()))
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Posts <paramref name="batches"/> batches, one client per member; every one must be acknowledged.</summary>
    private static async Task PostAsync(ServerProcess server, LoadDriver driver, int batches)
    {
        for (var i = 0; i < batches; i++)
        {
            await driver.PostOneAsync(server.Client, i, CancellationToken.None);
        }

        Assert.Equal([202], driver.Statuses.Keys);
        Assert.Equal(batches * driver.BatchSize, driver.Acknowledged.Count);
    }

    private static async Task AssertUnavailableAsync(ServerProcess server, string member)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/members/{member}/history?limit=1");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Distributed.ServiceKey);
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
    }
}
