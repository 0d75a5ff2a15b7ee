using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>A NATS URL carries its user and password; the NATS client quotes it in its errors. None of it reaches the log.</summary>
public sealed class NatsUrlRedactionTests : IDisposable
{
    private const string Password = "Sup3r-Secret-pw-9d1c";
    private readonly TempDirectory _data = new("vh-e2e-natsurl");

    [Fact(Timeout = 120_000)]
    public async Task A_nats_url_password_never_reaches_the_log_when_the_queue_cannot_be_reached()
    {
        // Nothing listens on the port: the start and every forwarding attempt fail with the client's "can not connect
        // uris: <the URL>". An ingest-only process spools meanwhile, so it becomes ready.
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["DataDir"] = _data.Path,
            ["Roles"] = "ingest",
            ["Queue:Kind"] = "jetstream",
            ["Queue:Url"] = $"nats://vhuser:{Password}@127.0.0.1:{FreePort.Next()}",
            ["Logging:LogLevel:Default"] = "Debug",
        });

        await Eventually.UntilAsync(() => Task.FromResult(server.Output.Contains("can not connect", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the queue's connection error in the log");
        await server.StopAsync(TimeSpan.FromSeconds(30));

        Assert.DoesNotContain(Password, server.Output, StringComparison.Ordinal);
        Assert.Contains("nats://vhuser:***@", server.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _data.Dispose();
}
