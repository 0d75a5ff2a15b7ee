using System.Collections.Concurrent;
using NATS.Client.Core;
using NATS.Client.JetStream;
using ViewingHistory.Core.Events;
using ViewingHistory.Queue.JetStream;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using Xunit;
using Xunit.Abstractions;
using static ViewingHistory.Queue.JetStream.Tests.TestQueues;

namespace ViewingHistory.Queue.JetStream.Tests;

/// <summary>
/// Three R3 streams (<c>Queue:Streams=3</c>) on the 3-node cluster, their leaders placed by JetStream: a node leading
/// one of them is killed while batches of many members are appended, and no acknowledged batch loses an event.
/// </summary>
[Collection(NatsClusterCollection.Name)]
public sealed class ShardedClusterTests(NatsCluster cluster, ITestOutputHelper output)
{
    [Fact(Timeout = 120_000)]
    public async Task Killing_a_node_while_appending_to_three_R3_streams_loses_no_acknowledged_batch()
    {
        var options = Options(cluster.Urls) with { Replicas = 3, Streams = 3, AppendRetryBudget = TimeSpan.FromSeconds(30) };
        await using var queue = await StartAsync(options);
        var leaders = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            leaders.Add(await StreamLeaderAsync(options.StreamNameOf(i)));
        }

        var killed = Enumerable.Range(0, 3).Single(n => NatsCluster.NodeName(n) == leaders[0]);
        var acknowledged = new ConcurrentBag<AcceptedBatch>();
        var failures = new ConcurrentBag<Exception>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var next = 0;
        var appenders = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var batch = Members($"r3s-{Interlocked.Increment(ref next)}", 6);
                try
                {
                    await queue.AppendAsync(batch, CancellationToken.None);
                    acknowledged.Add(batch);
                }
                catch (Exception ex)
                {
                    failures.Add(ex);
                }
            }
        })).ToArray();

        try
        {
            await Eventually.UntilAsync(() => Task.FromResult(acknowledged.Count), n => n >= 50, TimeSpan.FromSeconds(30), "appends before the kill");
            cluster.KillNode(killed);
            var atKill = acknowledged.Count;
            await Eventually.UntilAsync(() => Task.FromResult(acknowledged.Count), n => n >= atKill + 100, TimeSpan.FromSeconds(45), "appends after the kill");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(appenders);
            await cluster.StartNodeAsync(killed);
        }

        // Information for the reader: where the leaders were (JetStream spreads them; nothing pins them).
        output.WriteLine($"{acknowledged.Count} batches acknowledged; stream leaders {string.Join(", ", leaders)}; killed {leaders[0]}.");
        Assert.True(failures.IsEmpty, $"{failures.Count} appends failed, e.g. {failures.FirstOrDefault()}");
        var expected = acknowledged.SelectMany(b => b.Events).Select(e => e.EventId).ToHashSet();
        var seen = new HashSet<string>();
        var consumer = queue.OpenConsumer("verify");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        while (!expected.IsSubsetOf(seen))
        {
            try
            {
                var delivery = await consumer.ReceiveAsync(5_000, TimeSpan.FromSeconds(1), cts.Token);
                seen.UnionWith(delivery.Entries.SelectMany(e => e.Batch!.Events).Select(e => e.EventId));
                await consumer.AckAsync(delivery, cts.Token);
            }
            catch (QueueUnavailableException)
            {
                // Transient, as a processor treats it (the restarted node catching up): again until the deadline.
                await Task.Delay(100, cts.Token);
            }
        }

        Assert.Superset(expected, seen);
    }

    private static AcceptedBatch Members(string prefix, int members) =>
        new(1_790_000_000_000L, [.. Enumerable.Range(0, members).Select(m => new PlaybackEvent(
            $"{prefix}-e{m}", $"{prefix}-member-{m}", "title-1", $"{prefix}-s{m}", 0, PlaybackEventType.Progress, 0, 7_200_000L, 1_790_000_000_000L, null))]);

    private async Task<string> StreamLeaderAsync(string stream)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = cluster.Urls });
        var js = new NatsJSContext(nats);
        return await Eventually.UntilAsync(
            async () => (await js.GetStreamAsync(stream, cancellationToken: Within(10))).Info.Cluster?.Leader ?? "",
            name => name.Length > 0,
            TimeSpan.FromSeconds(30),
            "a stream leader");
    }
}
