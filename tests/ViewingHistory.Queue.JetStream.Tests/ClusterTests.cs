using System.Collections.Concurrent;
using NATS.Client.Core;
using NATS.Client.JetStream;
using ViewingHistory.Queue.JetStream;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using Xunit;
using Xunit.Abstractions;
using static ViewingHistory.Queue.JetStream.Tests.TestQueues;

namespace ViewingHistory.Queue.JetStream.Tests;

[Collection(NatsClusterCollection.Name)]
public sealed class ClusterTests(NatsCluster cluster, ITestOutputHelper output)
{
    [Fact(Timeout = 180_000)]
    public async Task Appends_to_an_R3_stream_keep_succeeding_when_its_leader_node_is_killed_and_every_acknowledged_batch_is_delivered()
    {
        var options = Options(cluster.Urls) with { Replicas = 3, AppendRetryBudget = TimeSpan.FromSeconds(30) };
        await using var queue = await StartAsync(options);
        var leader = await StreamLeaderAsync(options.StreamName);
        var killed = Enumerable.Range(0, 3).Single(i => NatsCluster.NodeName(i) == leader);

        var acknowledged = new ConcurrentBag<string>();
        var failures = new ConcurrentBag<Exception>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var next = 0;
        long slowestMs = 0;
        var appenders = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var batch = Batch($"r3-{Interlocked.Increment(ref next)}", 10);
                var started = Environment.TickCount64;
                try
                {
                    await queue.AppendAsync(batch, CancellationToken.None);
                    acknowledged.Add(BatchId.Of(batch));
                    InterlockedMax(ref slowestMs, Environment.TickCount64 - started);
                }
                catch (Exception ex)
                {
                    failures.Add(ex);
                }
            }
        })).ToArray();

        try
        {
            await Eventually.UntilAsync(() => Task.FromResult(acknowledged.Count), n => n >= 100, TimeSpan.FromSeconds(60), "appends before the kill");
            cluster.KillNode(killed);
            var atKill = acknowledged.Count;
            await Eventually.UntilAsync(() => Task.FromResult(acknowledged.Count), n => n >= atKill + 200, TimeSpan.FromSeconds(90), "appends after the kill");
            Assert.NotEqual(leader, await StreamLeaderAsync(options.StreamName));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(appenders);
            await cluster.StartNodeAsync(killed);
        }

        // Information for the reader, not an assertion: how long the failover held the slowest append.
        output.WriteLine($"{acknowledged.Count} batches acknowledged; slowest append {Interlocked.Read(ref slowestMs)} ms; leader {leader} killed.");
        Assert.True(failures.IsEmpty, $"{failures.Count} appends failed, e.g. {failures.FirstOrDefault()}");
        var expected = acknowledged.ToHashSet();
        var seen = await ReceiveIdsAsync(queue.OpenConsumer("verify"), expected, TimeSpan.FromSeconds(90));
        Assert.Superset(expected, seen);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

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
