using System.Globalization;
using ViewingHistory.Testing;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Issue 18: changing <c>Queue:Streams</c> between restarts strands nothing. A single-stream deployment fills its
/// stream with no processor running, restarts with three streams and every event reaches the store (the old stream is
/// stream 0 and is drained like the new ones); then three streams fill with no processor running, the deployment
/// restarts with one stream, and every event in the two streams no longer written reaches the store too (every node
/// keeps reading the streams past S that exist).
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class StreamCountChangeTests(DistributedEngines engines, ITestOutputHelper output)
{
    [Fact]
    public async Task Raising_streams_from_one_to_three_and_lowering_them_back_loses_no_acknowledged_event()
    {
        await using var deployment = new Deployment(engines.Nats.Url, await engines.Postgres.CreateDatabaseAsync());
        var driver = new LoadDriver(Deployment.IngestKey, $"sc-{Guid.NewGuid():N}"[..16]) { Members = 24, BatchSize = 20 };

        // One stream, nothing consuming it (an ingest node only: as good as processors paused).
        await PostWithNoProcessorAsync(deployment, driver, streams: 1, requests: 48);

        // Three streams, every role: the old stream's events and new ones split over three all reach the store.
        // (The deployment owns its processes: it kills what is still running when disposed.)
        var three = await deployment.StartAsync("ingest,api,processor", Streams(3));
        await PostAsync(three, driver, 24);
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(three.Client, Deployment.ServiceKey, driver, TimeSpan.FromSeconds(60));
        output.WriteLine($"1 -> 3: {driver.Acknowledged.Count} events reflected");
        await three.StopAsync(TimeSpan.FromSeconds(20));

        // Three streams fill with nothing consuming them; back to one stream: streams 1 and 2 are still drained.
        await PostWithNoProcessorAsync(deployment, driver, streams: 3, requests: 48);
        var one = await deployment.StartAsync("ingest,api,processor", Streams(1));
        await PostAsync(one, driver, 12);
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(one.Client, Deployment.ServiceKey, driver, TimeSpan.FromSeconds(60));
        output.WriteLine($"3 -> 1: {driver.Acknowledged.Count} events reflected; statuses {driver.StatusSummary()}");
    }

    private static Dictionary<string, string> Streams(int streams) => new() { ["Queue:Streams"] = streams.ToString(CultureInfo.InvariantCulture) };

    private static async Task PostWithNoProcessorAsync(Deployment deployment, LoadDriver driver, int streams, int requests)
    {
        var ingest = await deployment.StartAsync("ingest,api", Streams(streams));
        await PostAsync(ingest, driver, requests);
        await ingest.StopAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>Posts <paramref name="requests"/> batches, each of one member, the members taken in turn (so spread over every stream).</summary>
    private static async Task PostAsync(ServerProcess process, LoadDriver driver, int requests)
    {
        var http = Deployment.ClientOf(process);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        for (var i = 0; i < requests; i++)
        {
            Assert.True(await driver.PostOneAsync(http, i, deadline.Token), $"request {i} was not accepted: {driver.StatusSummary()}");
        }
    }
}
