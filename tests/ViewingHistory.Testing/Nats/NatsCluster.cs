using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace ViewingHistory.Testing.Nats;

/// <summary>
/// Three nats-server nodes clustered on loopback with JetStream, each with its own store dir. Ready once an R3
/// stream can be created (a JetStream meta leader exists and every peer is known). Nodes can be SIGKILLed and
/// restarted on the same ports and stores.
/// </summary>
public sealed class NatsCluster : IAsyncLifetime, IAsyncDisposable
{
    private readonly TempDirectory _dir = new("vh-nats-cluster");
    private readonly NatsProcess[] _nodes = new NatsProcess[3];

    public NatsCluster()
    {
        var clientPorts = new int[3];
        var routePorts = new int[3];
        for (var i = 0; i < 3; i++)
        {
            clientPorts[i] = FreePort.Next();
            routePorts[i] = FreePort.Next();
        }

        var routes = string.Join(", ", routePorts.Select(p => $"\"nats-route://127.0.0.1:{p}\""));
        for (var i = 0; i < 3; i++)
        {
            var nodeDir = Directory.CreateDirectory(Path.Combine(_dir.Path, $"n{i}")).FullName;
            var config = Path.Combine(nodeDir, "nats.conf");
            var log = Path.Combine(nodeDir, "nats.log");

            // max_payload as in NatsServer: explicit, well above one batch (~100 KB for 500 events).
            File.WriteAllText(config, $$"""
                server_name: n{{i}}
                listen: 127.0.0.1:{{clientPorts[i]}}
                max_payload: 8388608
                log_file: "{{log}}"
                jetstream {
                  store_dir: "{{Path.Combine(nodeDir, "jetstream")}}"
                  max_memory_store: 268435456
                  max_file_store: 4294967296
                }
                cluster {
                  name: vh_test
                  listen: 127.0.0.1:{{routePorts[i]}}
                  routes: [{{routes}}]
                }
                """);
            _nodes[i] = new NatsProcess(config, log, clientPorts[i]);
        }

        Urls = string.Join(",", clientPorts.Select(p => $"nats://127.0.0.1:{p}"));
    }

    /// <summary>Comma-separated client URLs of the three nodes.</summary>
    public string Urls { get; }

    /// <summary>The node's server_name, as stream and consumer cluster info report leaders.</summary>
    public static string NodeName(int index) => $"n{index}";

    /// <summary>The client URL of one node.</summary>
    public string NodeUrl(int index) => $"nats://127.0.0.1:{_nodes[index].ClientPort}";

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_nodes.Select(n => n.StartAsync(TimeSpan.FromSeconds(20))));
        await WaitForReplicatedJetStreamAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>SIGKILLs node <paramref name="index"/>.</summary>
    public void KillNode(int index) => _nodes[index].Kill();

    /// <summary>Starts node <paramref name="index"/> again on its ports and store, and waits until it accepts clients.</summary>
    public Task StartNodeAsync(int index) => _nodes[index].StartAsync(TimeSpan.FromSeconds(20));

    Task IAsyncLifetime.DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void Dispose()
    {
        foreach (var node in _nodes)
        {
            node?.Dispose();
        }

        _dir.Dispose();
    }

    private async Task WaitForReplicatedJetStreamAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        await using var nats = new NatsConnection(new NatsOpts { Url = Urls, ConnectTimeout = TimeSpan.FromSeconds(2) });
        var js = new NatsJSContext(nats);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var probe = new StreamConfig("VH_CLUSTER_PROBE", ["vh.cluster.probe"]) { NumReplicas = 3, Storage = StreamConfigStorage.Memory };
                await js.CreateOrUpdateStreamAsync(probe, cts.Token);
                await js.DeleteStreamAsync("VH_CLUSTER_PROBE", cts.Token);
                return;
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException)
            {
                last = ex;
                await Task.Delay(250);
            }
        }

        var logs = string.Join("\n---\n", _nodes.Select(n => n.LogTail()));
        throw new InvalidOperationException($"The cluster had no JetStream meta leader within {timeout.TotalSeconds:0} s: {last?.Message}\n{logs}", last);
    }
}
