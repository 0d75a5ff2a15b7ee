using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Streams, the durable consumer and the PostgreSQL schema are created at start, idempotently: several processes
/// starting at once on a fresh stream and database all become ready and serve.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class ConcurrentStartTests(DistributedEngines engines)
{
    [Fact]
    public async Task Three_processes_starting_at_once_on_a_fresh_stream_and_database_all_serve()
    {
        await using var deployment = new Deployment(engines.Nats.Url, await engines.Postgres.CreateDatabaseAsync());
        var servers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => deployment.StartAsync("ingest,processor,api")));

        var driver = new LoadDriver(Deployment.IngestKey, $"cs-{Guid.NewGuid():N}"[..16]) { BatchSize = 10, Members = 3 };
        for (var i = 0; i < servers.Length; i++)
        {
            using var http = Deployment.ClientOf(servers[i]);
            Assert.True(await driver.PostOneAsync(http, i, CancellationToken.None), $"server {i} did not accept a batch:\n{servers[i].Output}");
        }

        foreach (var server in servers)
        {
            await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(server.Client, Deployment.ServiceKey, driver, TimeSpan.FromSeconds(60));
        }
    }
}
