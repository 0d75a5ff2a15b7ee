using ViewingHistory.Testing;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Issue 4, fault (1): one ingest+api process and two processor processes on JetStream and PostgreSQL; one
/// processor is SIGKILLed under load, holding unacknowledged deliveries. The survivor gets them after the ack wait
/// (competing consumers on one durable consumer), so every event answered 202 ends up in the history.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class ProcessorFailoverTests(DistributedEngines engines, ITestOutputHelper output)
{
    [Fact]
    public async Task A_processor_killed_under_load_loses_no_acknowledged_event()
    {
        await using var deployment = new Deployment(engines.Nats.Url, await engines.Postgres.CreateDatabaseAsync());
        var front = await deployment.StartAsync("ingest,api");
        var processors = await Task.WhenAll(deployment.StartAsync("processor"), deployment.StartAsync("processor"));
        var victim = processors[0];

        var driver = new LoadDriver(Deployment.IngestKey, $"pk-{Guid.NewGuid():N}"[..16]);
        using var stop = new CancellationTokenSource();
        var load = driver.RunAsync(() => Deployment.ClientOf(front), clients: 4, stop.Token);

        // Kill only once the victim is applying batches, so it dies with deliveries in flight.
        await Eventually.UntilAsync(
            async () => driver.Acknowledged.Count >= 3_000 && await Deployment.ProcessedAsync(victim) > 0,
            TimeSpan.FromSeconds(90),
            "3,000 acknowledged events and the victim processing");
        await victim.KillAsync();
        var acknowledgedAtKill = driver.Acknowledged.Count;

        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= acknowledgedAtKill + 3_000), TimeSpan.FromSeconds(90), "3,000 more acknowledged events after the kill");
        await stop.CancelAsync();
        await load;

        output.WriteLine($"acknowledged {driver.Acknowledged.Count} ({acknowledgedAtKill} at the kill), sent {driver.Sent.Count}");
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(front.Client, Deployment.ServiceKey, driver, TimeSpan.FromSeconds(120));
    }
}
