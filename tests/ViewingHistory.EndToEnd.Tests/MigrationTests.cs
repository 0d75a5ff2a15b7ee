using System.Diagnostics;
using System.Text.Json.Nodes;
using ViewingHistory.Testing;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Issue 6: an operator walks a live system from sync to async and back under continuous load, with no change
/// upstream or downstream: after every step every acknowledged event is reflected, exactly as the contract defines,
/// and no response changed shape (HeartbeatDriver checks the 202 bodies and the page and item shapes).
/// </summary>
public sealed class MigrationTests(ITestOutputHelper output) : IDisposable
{
    private const string IngestKey = "mig-ingest-key-0123456789";
    private const string ServiceKey = "mig-service-key-0123456789";
    private readonly TempDirectory _data = new("vh-migration");

    private string ConfigFile => Path.Combine(_data.Path, "pipeline.json");

    [Fact]
    public async Task A_migration_walked_under_load_keeps_every_acknowledged_event_and_the_wire_contract()
    {
        var driver = new HeartbeatDriver(IngestKey, $"mig-{Guid.NewGuid():N}"[..12]);
        WriteConfig("sync", 100);
        var server = await StartAsync();
        try
        {
            await StepAsync(server, driver, "sync");

            // Shadow mode needs its shadow store at start: a restart (a rolling restart in production).
            await server.StopAsync(TimeSpan.FromSeconds(40));
            await server.DisposeAsync();
            WriteConfig("shadow", 100);
            server = await StartAsync();
            await StepAsync(server, driver, "shadow");
            var (exit, text) = await RunVhAsync(server, "compare", "--all", "--settle", "30");
            output.WriteLine(text);
            Assert.True(exit == 0, $"vh compare found differences:\n{text}");

            // Leaving shadow needs a restart too (the shadow processor exists only in shadow mode): a reload is refused
            // and shadow stays in force; the restart retires the shadow consumer.
            WriteConfig("async", 10);
            await Eventually.UntilAsync(
                async () => (await StatusAsync(server))["configuration"]!["errors"]!.AsArray()
                    .Any(e => (string?)e!["setting"] == "Pipeline:Mode" && (string?)e["reason"] == "needs a restart"),
                TimeSpan.FromSeconds(20),
                "the reload out of shadow to be refused");
            Assert.Equal("shadow", (string?)(await StatusAsync(server))["mode"]);
            await StepAsync(server, driver, "shadow, reload refused");
            await server.StopAsync(TimeSpan.FromSeconds(40));
            await server.DisposeAsync();
            server = await StartAsync();
            Assert.Contains("queue consumer 'shadow' is not run by this configuration: retired", server.Output, StringComparison.Ordinal);
            await StepAsync(server, driver, "async 10%");

            foreach (var (mode, percent) in new[] { ("async", 100), ("sync", 100), ("async", 100) })
            {
                await ReloadAsync(server, mode, percent);
                await StepAsync(server, driver, $"{mode} {percent}%");
            }
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Members_moved_between_paths_while_their_events_are_in_flight_keep_their_history()
    {
        var driver = new HeartbeatDriver(IngestKey, $"move-{Guid.NewGuid():N}"[..12], members: 20);
        WriteConfig("async", 50);
        await using var server = await StartAsync();
        var load = driver.RunAsync(server.Client, TimeSpan.FromSeconds(6));
        var percents = new[] { 0, 50, 100, 30, 70, 0, 100 };
        foreach (var percent in percents)
        {
            await ReloadAsync(server, "async", percent);
        }

        await load;
        Assert.Empty(driver.Failures);
        await driver.AssertHistoryAsync(server.Client, ServiceKey, TimeSpan.FromSeconds(60));
    }

    public void Dispose() => _data.Dispose();

    private async Task StepAsync(ServerProcess server, HeartbeatDriver driver, string step)
    {
        await driver.RunAsync(server.Client, TimeSpan.FromSeconds(2));
        Assert.True(driver.Failures.Count == 0, $"{step}: {string.Join("\n", driver.Failures.Take(5))}");
        await driver.AssertHistoryAsync(server.Client, ServiceKey, TimeSpan.FromSeconds(60));
        output.WriteLine($"{step}: {driver.Acknowledged.Count} events acknowledged so far, history exact");
    }

    private Task<ServerProcess> StartAsync() => ServerProcess.StartAsync(new Dictionary<string, string>
    {
        ["DataDir"] = _data.Path,
        ["ConfigFile"] = ConfigFile,
        ["Auth:IngestKeys:0"] = IngestKey,
        ["Auth:ServiceKeys:0"] = ServiceKey,
        ["Auth:MemberTokenSecret"] = "mig-member-token-secret-0123456789-abcdef",
    });

    private static async Task<JsonNode> StatusAsync(ServerProcess server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/admin/status");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + ServiceKey);
        using var response = await server.Client.SendAsync(request);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Rewrites the operator's file and waits until the server reports the new mode and percentage.</summary>
    private async Task ReloadAsync(ServerProcess server, string mode, int percent)
    {
        WriteConfig(mode, percent);
        await Eventually.UntilAsync(
            async () =>
            {
                var status = await StatusAsync(server);
                return (string?)status["mode"] == mode && (int)status["asyncPercent"]! == percent;
            },
            TimeSpan.FromSeconds(20),
            $"the server to take {mode} {percent}%");
    }

    private void WriteConfig(string mode, int percent)
    {
        var temp = ConfigFile + ".tmp";
        File.WriteAllText(temp, $$"""{ "Pipeline": { "Mode": "{{mode}}", "AsyncPercent": {{percent}} } }""");
        File.Move(temp, ConfigFile, overwrite: true);
    }

    private static async Task<(int ExitCode, string Output)> RunVhAsync(ServerProcess server, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(VhDll());
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.ArgumentList.Add("--url");
        info.ArgumentList.Add(server.BaseAddress.ToString());
        info.ArgumentList.Add("--service-key");
        info.ArgumentList.Add(ServiceKey);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string VhDll() => ServerProcess.BuiltDll("ViewingHistory.Cli", "vh");
}
