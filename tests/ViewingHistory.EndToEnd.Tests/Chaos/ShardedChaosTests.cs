using System.Globalization;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests.Chaos;

/// <summary>
/// Issue 18, chaos on a sharded deployment: a 3-node JetStream cluster holding S = 3 R3 streams, a store of two PostgreSQL
/// shards (two servers), one ingest+api node and two processor nodes, under concurrent clients. Seeded random faults one
/// after another: a shard frozen (SIGSTOP) then resumed, a shard stopped and restarted, a NATS node SIGKILLed and
/// restarted, a processor SIGKILLed and restarted. At the end every event answered 202 is reflected exactly once, the
/// change feed folded from 0 equals the reads, and nothing was dead-lettered (<see cref="ChaosVerifier"/>).
/// Time budget: about 30 s of faults, under 3 minutes in all.
/// </summary>
public sealed class ShardedChaosTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] FaultKinds = ["shard-freeze", "shard-stop", "kill-nats", "kill-processor"];
    private readonly NatsCluster _cluster = new();
    private readonly PostgresServer[] _shards = [new(), new()];

    public Task InitializeAsync() => Task.WhenAll([((IAsyncLifetime)_cluster).InitializeAsync(), .. _shards.Select(s => s.InitializeAsync())]);

    [Fact(Timeout = 180_000)]
    public async Task A_sharded_deployment_whose_shards_NATS_nodes_and_processors_fail_loses_nothing_and_its_feed_folds_to_the_reads()
    {
        var chaos = ChaosSettings.FromEnvironment(TimeSpan.FromSeconds(30));
        var kinds = chaos.Allowed(FaultKinds);
        var log = new ChaosLog(output);
        log.Write(chaos.Describe(nameof(ShardedChaosTests)));
        var random = new Random(chaos.Seed);

        var databases = new[] { await _shards[0].CreateDatabaseAsync(), await _shards[1].CreateDatabaseAsync() };
        await using var deployment = new Deployment(_cluster.Urls, databases[0], replicas: 3);
        Dictionary<string, string> Sharded(string roles)
        {
            var settings = deployment.Settings(roles);
            settings["Queue:Streams"] = "3";
            settings.Remove("Store:ConnectionString");
            for (var i = 0; i < databases.Length; i++)
            {
                settings[$"Store:Shards:{i}"] = databases[i];
            }

            return settings;
        }

        var front = new ChaosNode("ingest-api", Sharded("ingest,api"));
        ChaosNode[] processors = [new("processor-a", Sharded("processor")), new("processor-b", Sharded("processor"))];
        try
        {
            await Task.WhenAll(processors.Append(front).Select(n => n.StartAsync()));
            log.Write($"deployment up: streams {deployment.StreamName}, _1, _2 (R3), shards on ports {_shards[0].Port} and {_shards[1].Port}");
            var workload = new ChaosWorkload(new ChaosWorkloadOptions($"s{chaos.Seed.ToString(CultureInfo.InvariantCulture)}", chaos.Seed, Deployment.IngestKey, Deployment.ServiceKey, _ => front.BaseAddress, _ => front.BaseAddress), log);
            using var stop = new CancellationTokenSource();
            var clients = workload.RunAsync(stop.Token, settleTimeout: TimeSpan.FromSeconds(90));
            await Eventually.UntilAsync(() => Task.FromResult(workload.AcceptedRequests >= 20 || clients.IsCompleted), TimeSpan.FromSeconds(60), "the first 20 batches answered 202");
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
                await InjectAsync(round.Dequeue(), faults, random, processors, workload, log);
                await Task.WhenAny(Task.Delay(random.Next(500, 2_000)), clients);
            }

            log.Write($"faults over after {faults}; clients finish what they hold");
            await stop.CancelAsync();
            await clients;
            log.Write($"clients settled: {workload.Summary()}");
            await ChaosVerifier.AssertAsync(front.Process.Client, Deployment.ServiceKey, workload, log, TimeSpan.FromSeconds(90));
            Assert.True(workload.Failures.Count == 0, "answers that break the contract:\n" + string.Join('\n', workload.Failures));
        }
        finally
        {
            foreach (var node in processors.Append(front))
            {
                await node.DisposeAsync();
            }
        }
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_cluster).DisposeAsync();
        foreach (var shard in _shards)
        {
            await shard.DisposeAsync();
        }
    }

    private async Task InjectAsync(string kind, int n, Random random, ChaosNode[] processors, ChaosWorkload workload, ChaosLog log)
    {
        var number = n.ToString(CultureInfo.InvariantCulture);
        var shard = random.Next(_shards.Length);
        var down = TimeSpan.FromMilliseconds(random.Next(2_000, 4_000));
        switch (kind)
        {
            case "shard-freeze":
                log.Write($"fault {number}: shard {shard} frozen (SIGSTOP) for {down.TotalSeconds:0.0} s; {workload.Summary()}");
                await _shards[shard].FreezeAsync();
                try
                {
                    await Task.Delay(down);
                }
                finally
                {
                    await _shards[shard].ThawAsync();
                }

                log.Write($"fault {number} healed: shard {shard} thawed");
                break;

            case "shard-stop":
                log.Write($"fault {number}: shard {shard} stopped (immediate) for {down.TotalSeconds:0.0} s; {workload.Summary()}");
                await _shards[shard].StopAsync();
                try
                {
                    await Task.Delay(down);
                }
                finally
                {
                    await _shards[shard].StartAsync();
                }

                log.Write($"fault {number} healed: shard {shard} started");
                break;

            case "kill-nats":
            {
                var index = random.Next(3);
                log.Write($"fault {number}: SIGKILL NATS node {NatsCluster.NodeName(index)}, down {down.TotalSeconds:0.0} s; {workload.Summary()}");
                _cluster.KillNode(index);
                await Task.Delay(down);
                await _cluster.StartNodeAsync(index);

                // Let it catch up before the next fault could take another node (and with it the quorum).
                await Task.Delay(TimeSpan.FromSeconds(3));
                log.Write($"fault {number} healed: {NatsCluster.NodeName(index)} restarted on its store");
                break;
            }

            case "kill-processor":
            {
                var victim = processors[random.Next(processors.Length)];
                log.Write($"fault {number}: SIGKILL {victim.Name} (pid {victim.Process.Pid}), down {down.TotalSeconds:0.0} s; {workload.Summary()}");
                await victim.KillAsync();
                await Task.Delay(down);
                await victim.StartAsync();
                log.Write($"fault {number} healed: {victim.Name} restarted on its data dir as pid {victim.Process.Pid}");
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown fault kind");
        }
    }
}
