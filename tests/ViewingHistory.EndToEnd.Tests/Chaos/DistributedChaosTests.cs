using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Faults;
using ViewingHistory.Testing.Nats;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests.Chaos;

/// <summary>
/// Issue 12, chaos on a distributed deployment: a 3-node JetStream cluster holding the R3 stream, one PostgreSQL, two
/// ingest+api nodes and two processor nodes, under concurrent clients. Seeded random victims are faulted one after
/// another and brought back: an ingest node or a processor SIGKILLed and restarted on its data dir, a NATS node
/// SIGKILLed (often the stream's leader) and restarted on its store, PostgreSQL stopped, frozen (SIGSTOP) or turned
/// read-only for a few seconds. Every round of faults visits every kind in a random order. At the end every event
/// answered 202 is reflected exactly once, the change feed folds to the reads, and nothing was dead-lettered: a store
/// outage of any kind is the store's state, never the events' fault.
/// </summary>
public sealed class DistributedChaosTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] FaultKinds = ["kill-ingest", "kill-processor", "kill-nats", "pg-stop", "pg-freeze", "pg-readonly"];
    private readonly NatsCluster _cluster = new();
    private readonly PostgresServer _postgres = new();

    public Task InitializeAsync() => Task.WhenAll(((IAsyncLifetime)_cluster).InitializeAsync(), _postgres.InitializeAsync());

    [Fact]
    public async Task A_deployment_whose_ingest_nodes_processors_NATS_nodes_and_PostgreSQL_fail_again_and_again_loses_nothing_and_counts_nothing_twice()
    {
        var chaos = ChaosSettings.FromEnvironment(TimeSpan.FromSeconds(40));
        var kinds = chaos.Allowed(FaultKinds);
        var log = new ChaosLog(output);
        log.Write(chaos.Describe(nameof(DistributedChaosTests)));
        var random = new Random(chaos.Seed);

        var db = await _postgres.CreateDatabaseAsync();
        await using var deployment = new Deployment(_cluster.Urls, db, replicas: 3);
        ChaosNode[] ingest = [new("ingest-a", deployment.Settings("ingest,api")), new("ingest-b", deployment.Settings("ingest,api"))];
        ChaosNode[] processors = [new("processor-a", deployment.Settings("processor")), new("processor-b", deployment.Settings("processor"))];
        await using var nats = new NatsConnection(new NatsOpts { Url = _cluster.Urls, ConnectTimeout = TimeSpan.FromSeconds(2) });
        var js = new NatsJSContext(nats);
        try
        {
            await Task.WhenAll(ingest.Concat(processors).Select(n => n.StartAsync()));
            log.Write($"deployment up: stream {deployment.StreamName} (R3), {string.Join(", ", ingest.Concat(processors).Select(n => $"{n.Name} pid {n.Process.Pid}"))}");

            Uri? Front(int attempt)
            {
                var up = ingest.Select(n => n.BaseAddress).OfType<Uri>().ToList();
                return up.Count == 0 ? null : up[attempt % up.Count];
            }

            var workload = new ChaosWorkload(new ChaosWorkloadOptions($"d{chaos.Seed.ToString(CultureInfo.InvariantCulture)}", chaos.Seed, Deployment.IngestKey, Deployment.ServiceKey, Front, Front), log);
            using var stop = new CancellationTokenSource();
            var clients = workload.RunAsync(stop.Token, settleTimeout: TimeSpan.FromSeconds(120));
            await WarmUpAsync(workload, clients);
            var ends = log.Elapsed + chaos.Duration;
            var faults = 0;
            var round = new Queue<string>();
            while (log.Elapsed < ends && !clients.IsCompleted)
            {
                if (round.Count == 0)
                {
                    var order = kinds.ToArray();
                    random.Shuffle(order);
                    round = new Queue<string>(order);
                }

                faults++;
                await InjectAsync(round.Dequeue(), faults, random, ingest, processors, js, deployment.StreamName, db, workload, log);
                await Task.WhenAny(Task.Delay(random.Next(500, 2_500)), clients);
            }

            log.Write($"faults over after {faults}; clients finish what they hold");
            await stop.CancelAsync();
            await clients;
            log.Write($"clients settled: {workload.Summary()}");
            foreach (var failure in workload.Failures)
            {
                log.Write($"contract broken: {failure}");
            }

            await ChaosVerifier.AssertAsync(ingest[0].Process.Client, Deployment.ServiceKey, workload, log, TimeSpan.FromSeconds(150), ingest[1].Process.Client);
            Assert.True(workload.Failures.Count == 0, "answers that break the contract:\n" + string.Join('\n', workload.Failures));
        }
        finally
        {
            foreach (var node in ingest.Concat(processors))
            {
                await node.DisposeAsync();
            }
        }
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_cluster).DisposeAsync();
        await _postgres.DisposeAsync();
    }

    private async Task InjectAsync(
        string kind, int n, Random random, ChaosNode[] ingest, ChaosNode[] processors, NatsJSContext js, string stream, string db, ChaosWorkload workload, ChaosLog log)
    {
        var number = n.ToString(CultureInfo.InvariantCulture);
        switch (kind)
        {
            case "kill-ingest":
            case "kill-processor":
            {
                var pool = kind == "kill-ingest" ? ingest : processors;
                var victim = pool[random.Next(pool.Length)];
                var down = TimeSpan.FromMilliseconds(random.Next(1_000, 4_000));
                log.Write($"fault {number}: SIGKILL {victim.Name} (pid {victim.Process.Pid}), down {down.TotalSeconds:0.0} s; {workload.Summary()}");
                await victim.KillAsync();
                await Task.Delay(down);
                var restarting = log.Elapsed;
                await victim.StartAsync();
                log.Write($"fault {number} healed: {victim.Name} restarted on its data dir as pid {victim.Process.Pid}, ready in {(log.Elapsed - restarting).TotalSeconds:0.0} s");
                break;
            }

            case "kill-nats":
            {
                var leader = random.Next(2) == 0 ? await StreamLeaderAsync(js, stream) : null;
                var index = leader ?? random.Next(3);
                var down = TimeSpan.FromMilliseconds(random.Next(2_000, 5_000));
                log.Write($"fault {number}: SIGKILL NATS node {NatsCluster.NodeName(index)}{(leader is null ? "" : " (the stream's leader)")}, down {down.TotalSeconds:0.0} s; {workload.Summary()}");
                _cluster.KillNode(index);
                await Task.Delay(down);
                await _cluster.StartNodeAsync(index);
                var restarting = log.Elapsed;

                // The next fault may take another node: let this one catch up first, so a kill never takes the quorum.
                var current = await ReplicasCurrentAsync(js, stream, TimeSpan.FromSeconds(60));
                log.Write($"fault {number} healed: {NatsCluster.NodeName(index)} restarted on its store; " +
                    (current ? $"stream and consumers have every replica current after {(log.Elapsed - restarting).TotalSeconds:0.0} s" : "replicas still not all current after 60 s (going on)"));
                break;
            }

            case "pg-stop":
            {
                var down = TimeSpan.FromMilliseconds(random.Next(2_000, 5_000));
                log.Write($"fault {number}: PostgreSQL stopped (immediate), down {down.TotalSeconds:0.0} s; {workload.Summary()}");
                await _postgres.StopAsync();
                try
                {
                    await Task.Delay(down);
                }
                finally
                {
                    await _postgres.StartAsync();
                }

                log.Write($"fault {number} healed: PostgreSQL started");
                break;
            }

            case "pg-freeze":
            {
                var down = TimeSpan.FromMilliseconds(random.Next(2_000, 4_000));
                log.Write($"fault {number}: PostgreSQL frozen (SIGSTOP), for {down.TotalSeconds:0.0} s; {workload.Summary()}");
                await _postgres.FreezeAsync();
                try
                {
                    await Task.Delay(down);
                }
                finally
                {
                    await _postgres.ThawAsync();
                }

                log.Write($"fault {number} healed: PostgreSQL thawed (SIGCONT)");
                break;
            }

            case "pg-readonly":
            {
                var down = TimeSpan.FromMilliseconds(random.Next(3_000, 6_000));
                await PostgresReadOnly.SetAsync(_postgres, db, readOnly: true);
                log.Write($"fault {number}: PostgreSQL database read-only (default_transaction_read_only = on, its backends terminated), for {down.TotalSeconds:0.0} s; {workload.Summary()}");
                try
                {
                    await Task.Delay(down);
                }
                finally
                {
                    await PostgresReadOnly.SetAsync(_postgres, db, readOnly: false);
                }

                log.Write($"fault {number} healed: PostgreSQL writable again (its read-only backends terminated)");
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown fault kind");
        }
    }

    /// <summary>Faults begin once the clients are answered, so that the first one meets work in flight.</summary>
    private static Task WarmUpAsync(ChaosWorkload workload, Task clients) =>
        Eventually.UntilAsync(() => Task.FromResult(workload.AcceptedRequests >= 20 || clients.IsCompleted), TimeSpan.FromSeconds(60), "the first 20 batches answered 202");

    private static async Task<int?> StreamLeaderAsync(NatsJSContext js, string stream)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var leader = (await js.GetStreamAsync(stream, cancellationToken: cts.Token)).Info.Cluster?.Leader;
            var index = Enumerable.Range(0, 3).Where(i => NatsCluster.NodeName(i) == leader).ToList();
            return index.Count == 1 ? index[0] : null;
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException)
        {
            return null;
        }
    }

    private static async Task<bool> ReplicasCurrentAsync(NatsJSContext js, string stream, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var info = (await js.GetStreamAsync(stream, cancellationToken: cts.Token)).Info.Cluster;
                var ok = info is { Leader.Length: > 0, Replicas.Count: 2 } && AllCurrent(info);
                await foreach (var consumer in js.ListConsumersAsync(stream, cts.Token))
                {
                    ok &= consumer.Info.Cluster is { Leader.Length: > 0 } c && AllCurrent(c);
                }

                if (ok)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException)
            {
                // No leader yet, or the request went to the node that is still starting: ask again.
            }

            await Task.Delay(250);
        }

        return false;
    }

    private static bool AllCurrent(ClusterInfo cluster) => cluster.Replicas is null || cluster.Replicas.All(r => r.Current && !r.Offline);
}
