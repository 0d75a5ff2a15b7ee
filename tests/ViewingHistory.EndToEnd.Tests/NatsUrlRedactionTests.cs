using System.Diagnostics;
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

    [Fact(Timeout = 120_000)]
    public async Task A_nats_url_password_never_reaches_the_output_when_the_start_fails()
    {
        // A processor cannot start without its queue: the host fails, and the process prints why before it exits.
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(ServerProcess.ServerDll());
        foreach (var setting in new[] { $"--DataDir={_data.Path}", "--Roles=processor", "--Queue:Kind=jetstream", $"--Queue:Url=nats://vhuser:{Password}@127.0.0.1:{FreePort.Next()}", $"--urls=http://127.0.0.1:{FreePort.Next()}" })
        {
            info.ArgumentList.Add(setting);
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["WarmUp__Enabled"] = "false"; // as ServerProcess: the start's warm-up would only delay the failure
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("nats://vhuser:***@", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, output, StringComparison.Ordinal);
    }

    public void Dispose() => _data.Dispose();
}
