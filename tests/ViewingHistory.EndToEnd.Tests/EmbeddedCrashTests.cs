using System.Text.RegularExpressions;
using ViewingHistory.Testing;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Issue 3: a real server process on the embedded queue and SQLite, killed with SIGKILL right after answering
/// 202s while its processor lags, restarts on the same data dir and ends with every acknowledged event reflected.
/// </summary>
public sealed partial class EmbeddedCrashTests(ITestOutputHelper output) : IDisposable
{
    private const string IngestKey = "e2e-ingest-key-0123456789";
    private const string ServiceKey = "e2e-service-key-0123456789";
    private readonly TempDirectory _data = new("vh-e2e");

    private Dictionary<string, string> Settings(string mode = "async") => new()
    {
        ["DataDir"] = _data.Path,
        ["Auth:IngestKeys:0"] = IngestKey,
        ["Auth:ServiceKeys:0"] = ServiceKey,
        ["Auth:MemberTokenSecret"] = "e2e-member-token-secret-0123456789-abcdef",
        ["Pipeline:Mode"] = mode,
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_server_killed_after_answering_202s_loses_no_acknowledged_event(int run)
    {
        var driver = new LoadDriver(IngestKey, $"crash{run}-{Guid.NewGuid():N}"[..20]) { BatchSize = 100 };
        long lagAtKill;
        await using (var server = await ServerProcess.StartAsync(Settings()))
        {
            using var stop = new CancellationTokenSource();
            var load = driver.RunAsync(() => new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) }, clients: 8, stop.Token);
            await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= 20_000), TimeSpan.FromSeconds(60), "20,000 acknowledged events");
            lagAtKill = await LagAsync(server);

            // Kill while requests are in flight: some were answered 202 a moment ago, some are mid-append.
            await server.KillAsync();
            await stop.CancelAsync();
            await load;
        }

        output.WriteLine($"acknowledged {driver.Acknowledged.Count}, sent {driver.Sent.Count}, queue lag just before the kill: {lagAtKill}");
        await using var restarted = await ServerProcess.StartAsync(Settings());
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(restarted.Client, ServiceKey, driver, TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task SIGTERM_drains_in_flight_work_and_exits_0_and_nothing_is_lost()
    {
        var driver = new LoadDriver(IngestKey, $"term-{Guid.NewGuid():N}"[..16]);
        await using (var server = await ServerProcess.StartAsync(Settings()))
        {
            using var stop = new CancellationTokenSource();
            var load = driver.RunAsync(() => new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) }, clients: 4, stop.Token);
            await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= 5_000), TimeSpan.FromSeconds(60), "5,000 acknowledged events");

            var exitCode = await server.StopAsync(TimeSpan.FromSeconds(40));
            await stop.CancelAsync();
            await load;
            Assert.True(exitCode == 0, $"exit code {exitCode}:\n{server.Output}");
        }

        await using var restarted = await ServerProcess.StartAsync(Settings());
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(restarted.Client, ServiceKey, driver, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Events_acknowledged_in_sync_mode_are_kept_after_a_kill_and_a_switch_to_async()
    {
        var driver = new LoadDriver(IngestKey, $"sync-{Guid.NewGuid():N}"[..16]);
        await using (var server = await ServerProcess.StartAsync(Settings("sync")))
        {
            using var stop = new CancellationTokenSource();
            var load = driver.RunAsync(() => new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) }, clients: 4, stop.Token);
            await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= 3_000), TimeSpan.FromSeconds(60), "3,000 acknowledged events");
            await server.KillAsync();
            await stop.CancelAsync();
            await load;
        }

        await using var restarted = await ServerProcess.StartAsync(Settings("async"));
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(restarted.Client, ServiceKey, driver, TimeSpan.FromSeconds(60));
    }

    public void Dispose() => _data.Dispose();

    private static async Task<long> LagAsync(ServerProcess server)
    {
        try
        {
            var text = await server.Client.GetStringAsync("/metrics");
            var match = LagLine().Match(text);
            return match.Success ? (long)double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
        }
        catch (HttpRequestException)
        {
            return -1;
        }
    }

    [GeneratedRegex(@"^vh_queue_lag_events\{[^}]*\} (\S+)", RegexOptions.Multiline)]
    private static partial Regex LagLine();
}
