using NATS.Client.Core;
using NATS.Client.JetStream;
using Xunit;

namespace ViewingHistory.Testing.Nats;

/// <summary>
/// A single nats-server with JetStream on a free loopback port, its file store in a temp dir. Usable as an xUnit
/// collection fixture (tests then use their own stream names) or on its own for tests that stop and restart it.
/// </summary>
public sealed class NatsServer : IAsyncLifetime, IAsyncDisposable
{
    private readonly TempDirectory _dir = new("vh-nats");
    private readonly NatsProcess _process;

    public NatsServer()
    {
        var port = FreePort.Next();
        var store = Path.Combine(_dir.Path, "jetstream");
        var config = Path.Combine(_dir.Path, "nats.conf");
        var log = Path.Combine(_dir.Path, "nats.log");

        // max_payload is set explicitly (the default is 1 MiB) so tests never depend on the packaged default; the
        // queue publishes one message per accepted batch (≤ 500 events, ~100 KB), far below either value.
        File.WriteAllText(config, $$"""
            server_name: vh_test_{{port}}
            listen: 127.0.0.1:{{port}}
            max_payload: 8388608
            log_file: "{{log}}"
            jetstream {
              store_dir: "{{store}}"
              max_memory_store: 268435456
              max_file_store: 4294967296
            }
            """);
        _process = new NatsProcess(config, log, port);
        Url = $"nats://127.0.0.1:{port}";
    }

    /// <summary>The running server's process id, or null.</summary>
    public int? Pid => _process.Pid;

    /// <summary>The client URL, e.g. nats://127.0.0.1:4222.</summary>
    public string Url { get; }

    /// <summary>Starts a server and waits until JetStream answers.</summary>
    public static async Task<NatsServer> StartNewAsync()
    {
        var server = new NatsServer();
        await server.StartAsync();
        return server;
    }

    /// <summary>Starts the server (again, after <see cref="Stop"/>: same port, same store) and waits until JetStream answers.</summary>
    public async Task StartAsync()
    {
        await _process.StartAsync(TimeSpan.FromSeconds(20));
        await WaitForJetStreamAsync(Url, TimeSpan.FromSeconds(20), _process.LogTail);
    }

    /// <summary>SIGKILLs the server: its clients see the connection drop without a goodbye.</summary>
    public void Stop() => _process.Kill();

    public Task InitializeAsync() => StartAsync();

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
        _process.Dispose();
        _dir.Dispose();
    }

    internal static async Task WaitForJetStreamAsync(string url, TimeSpan timeout, Func<string> log)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await using var nats = new NatsConnection(new NatsOpts { Url = url, ConnectTimeout = TimeSpan.FromSeconds(2) });
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                await new NatsJSContext(nats).GetAccountInfoAsync(cts.Token);
                return;
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException)
            {
                last = ex;
                await Task.Delay(100);
            }
        }

        throw new InvalidOperationException($"JetStream at {url} was not ready within {timeout.TotalSeconds:0} s: {last?.Message}\n{log()}", last);
    }
}
