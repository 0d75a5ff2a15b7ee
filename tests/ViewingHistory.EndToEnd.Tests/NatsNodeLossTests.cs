using NATS.Client.Core;
using NATS.Client.JetStream;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Issue 4, fault (2): a 3-node JetStream cluster holds an R3 stream; the node leading it is SIGKILLed while
/// clients post. Ingest goes on (publishes retry through the leader election, or spool locally meanwhile): no client
/// sees a 5xx or a dropped request, and every event answered 202 ends up in the history.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class NatsNodeLossTests(DistributedEngines engines, ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_the_stream_leader_during_ingest_answers_no_5xx_and_loses_nothing()
    {
        await using var cluster = new NatsCluster();
        await ((IAsyncLifetime)cluster).InitializeAsync();
        await using var deployment = new Deployment(cluster.Urls, await engines.Postgres.CreateDatabaseAsync(), replicas: 3);
        var front = await deployment.StartAsync("ingest,api");
        await deployment.StartAsync("processor");

        var driver = new LoadDriver(Deployment.IngestKey, $"nl-{Guid.NewGuid():N}"[..16]);
        using var stop = new CancellationTokenSource();
        var load = driver.RunAsync(() => Deployment.ClientOf(front), clients: 4, stop.Token);
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= 3_000), TimeSpan.FromSeconds(90), "3,000 acknowledged events");

        var leader = await StreamLeaderAsync(cluster, deployment.StreamName);
        cluster.KillNode(leader);
        var acknowledgedAtKill = driver.Acknowledged.Count;
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= acknowledgedAtKill + 3_000), TimeSpan.FromSeconds(90), "3,000 more acknowledged events after the kill");
        await stop.CancelAsync();
        await load;

        var statuses = driver.StatusSummary();
        var spooled = front.Output.Contains("spooling accepted batches locally", StringComparison.Ordinal);
        output.WriteLine($"killed {NatsCluster.NodeName(leader)}; acknowledged {driver.Acknowledged.Count} ({acknowledgedAtKill} at the kill); statuses {statuses}; ingest spooled during the election: {spooled}");
        Assert.True(driver.Statuses.Keys.All(s => s is > 0 and < 500), $"a client saw a 5xx or no answer: {statuses}");
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(front.Client, Deployment.ServiceKey, driver, TimeSpan.FromSeconds(120));
    }

    private static async Task<int> StreamLeaderAsync(NatsCluster cluster, string stream)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = cluster.Urls });
        var info = await Eventually.UntilAsync(
            async () => (await new NatsJSContext(nats).GetStreamAsync(stream)).Info.Cluster?.Leader,
            leader => leader is { Length: > 0 },
            TimeSpan.FromSeconds(30),
            $"a leader of {stream}");
        return Enumerable.Range(0, 3).Single(i => NatsCluster.NodeName(i) == info);
    }
}
