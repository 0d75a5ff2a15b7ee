using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using ViewingHistory.Server.Hosting;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Hosting;

/// <summary>
/// The warm-up at start (<see cref="StartWarmUp"/>), on the real binary: it runs the service's own traffic on a scratch
/// copy, and nothing of that copy reaches the real service: not its history, its change feed, its metrics or its data
/// directory. A stop asked for during it ends the start; a setting it cannot use refuses the start.
/// </summary>
public sealed partial class StartWarmUpTests
{
    private static readonly TimeSpan Ready = TimeSpan.FromSeconds(120);

    [Fact(Timeout = 180_000)]
    public async Task A_warmed_start_answers_every_warm_up_request_and_serves_only_what_it_was_sent()
    {
        using var data = new TempDirectory("vh-warm-up");
        var leftover = Path.Combine(data.Path, StartWarmUp.DirectoryName);
        Directory.CreateDirectory(leftover);
        await File.WriteAllTextAsync(Path.Combine(leftover, "left-by-a-crash"), "x"); // a warm-up killed half-way
        var settings = TestCredentials.ServerSettings(data.Path);
        settings["WarmUp:Enabled"] = "true";
        settings["WarmUp:MaxDuration"] = "00:00:10";
        await using var server = await ServerProcess.StartAsync(settings, readyTimeout: Ready);

        var warmed = WarmedLine().Match(server.Output);
        Assert.True(warmed.Success, "no warm-up line in the log:\n" + server.Output);
        Assert.True(long.Parse(warmed.Groups["requests"].Value, CultureInfo.InvariantCulture) > 20, warmed.Value);
        Assert.Equal("0", warmed.Groups["failed"].Value); // the warm-up's traffic is valid under the contract
        Assert.False(Directory.Exists(leftover), "the scratch copy's directory is removed, and a crash's leftover with it");

        // Nothing of the warm-up in the real service: no change, no counted event.
        Assert.Empty(await ChangesAsync(server));
        // An exporter created while the scratch copy's meter (of the same name) lived went on exporting its series
        // beside the real ones: counts of the warm-up's events, and every series twice.
        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.DoesNotMatch(NonZeroIngestCount(), metrics);
        var series = metrics.Split('\n').Where(l => l.StartsWith("vh_", StringComparison.Ordinal)).Select(l => l[..l.LastIndexOf(' ')]).ToList();
        Assert.NotEmpty(series);
        Assert.Equal(series.Count, series.Distinct(StringComparer.Ordinal).Count());

        using var ingest = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events")
        {
            Content = new StringContent(
                """[{"eventId":"e1","memberId":"m:warm","titleId":"t1","sessionId":"s1","seq":0,"type":"start","positionMs":0,"durationMs":1000,"timestamp":"2026-12-01T10:00:00Z"}]""",
                Encoding.UTF8,
                "application/json"),
        };
        ingest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestCredentials.IngestKey);
        using var accepted = await server.Client.SendAsync(ingest);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var changes = await Eventually.UntilAsync(() => ChangesAsync(server), c => c.Count > 0, TimeSpan.FromSeconds(30), "the event's change");
        Assert.All(changes, c => Assert.Equal("m:warm", c.GetProperty("memberId").GetString()));
    }

    [Fact(Timeout = 180_000)]
    public async Task A_SIGTERM_during_the_warm_up_ends_the_start_before_the_port_opens_and_leaves_nothing_behind()
    {
        using var data = new TempDirectory("vh-warm-up");
        await using var server = await LaunchWarmingAsync(LongWarmUp(data));

        Signals.Send(server.Pid, Signals.SigTerm);
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("stopped because a stop was asked for", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening on", server.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(data.Path, StartWarmUp.DirectoryName)));
    }

    [Fact(Timeout = 240_000)]
    public async Task A_second_process_on_the_same_data_dir_leaves_the_first_ones_warm_up_alone_and_is_refused_at_once_while_the_first_serves()
    {
        using var data = new TempDirectory("vh-warm-up");
        var settings = LongWarmUp(data);
        await using var first = await LaunchWarmingAsync(settings);
        var scratchStore = ScratchStore(settings);

        // While the first one warms up: the second skips its own warm-up (it would empty the first's directory) and serves.
        await using (var second = await ServerProcess.StartAsync(settings, readyTimeout: Ready))
        {
            Assert.Contains("The warm-up at start did not run: another process is warming up in", second.Output, StringComparison.Ordinal);
            Assert.True(File.Exists(scratchStore), "the second process removed the first one's scratch copy");

            // While the second one serves: a third is refused by the queue's lock, without a warm-up first.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await using var third = ServerProcess.Launch(settings);
            Assert.NotEqual(0, await third.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("The warm-up at start did not run: another process runs the embedded queue in", third.Output, StringComparison.Ordinal);
            Assert.Contains("is in use by another queue instance or process", third.Output, StringComparison.Ordinal);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"refused after {clock.Elapsed.TotalSeconds:F0} s");
            using var ready = await second.Client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // The first one's warm-up was not disturbed; stopped during it, it leaves nothing behind.
        Signals.Send(first.Pid, Signals.SigTerm);
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("stopped because a stop was asked for", first.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(data.Path, StartWarmUp.DirectoryName)));
    }

    /// <summary>Settings whose warm-up runs for minutes unless stopped: long enough to act while it runs.</summary>
    private static Dictionary<string, string> LongWarmUp(TempDirectory data)
    {
        var settings = TestCredentials.ServerSettings(data.Path);
        settings["WarmUp:Enabled"] = "true";
        settings["WarmUp:MaxDuration"] = "00:02:00";
        return settings;
    }

    private static string ScratchStore(Dictionary<string, string> settings) => Path.Combine(settings["DataDir"], StartWarmUp.DirectoryName, "history.db");

    /// <summary>Launches a server and returns once its warm-up's scratch copy runs (before its port opens).</summary>
    private static async Task<ServerProcess> LaunchWarmingAsync(Dictionary<string, string> settings)
    {
        var server = ServerProcess.Launch(settings);
        try
        {
            await Eventually.UntilAsync(() => Task.FromResult(File.Exists(ScratchStore(settings))), TimeSpan.FromSeconds(60), "the scratch copy to run");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    [Theory(Timeout = 120_000)]
    [InlineData("soon")]
    [InlineData("00:00:00")]
    [InlineData("1.00:00:00")]
    public async Task A_warm_up_duration_it_cannot_use_refuses_the_start_naming_the_setting(string value)
    {
        using var data = new TempDirectory("vh-warm-up");
        var settings = TestCredentials.ServerSettings(data.Path);
        settings["WarmUp:Enabled"] = "true";
        settings["WarmUp:MaxDuration"] = value;
        await using var server = ServerProcess.Launch(settings);
        Assert.Equal(2, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("The service did not start: ", server.Output, StringComparison.Ordinal);
        Assert.Contains("WarmUp:MaxDuration", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_scratch_copy_takes_the_hot_paths_settings_and_nothing_that_reaches_outside_it()
    {
        var real = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pipeline:Mode"] = "sync",
            ["Ingest:RateLimitPerSecond"] = "500",
            ["Processor:MaxBatchWait"] = "00:00:00.050",
            ["Store:SqliteRowCacheItems"] = "1000",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Store:Kind"] = "postgres",
            ["Store:ConnectionString"] = "Host=db;Password=secret",
            ["Store:Shards:0"] = "Host=db0",
            ["Queue:Kind"] = "jetstream",
            ["Queue:Url"] = "nats://user:secret@nats:4222",
            ["Feed:RelayEnabled"] = "true",
            ["Archive:Enabled"] = "true",
            ["Archive:Root"] = "/mnt/archive",
            ["ConfigFile"] = "/etc/vh/overrides.json",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4317",
            ["Roles"] = "ingest",
            ["DataDir"] = "/var/lib/vh",
            ["Auth:IngestKeys:0"] = "the-real-ingest-key",
            ["Auth:MemberTokenSecret"] = "the-real-secret-the-real-secret-the-real-secret",
        }).Build();

        var scratch = StartWarmUp.ScratchSettings(real, "/tmp/scratch", new WarmUpTraffic.Keys("ik", "sk", "secret"));

        Assert.Equal("sync", scratch["Pipeline:Mode"]);
        Assert.Equal("500", scratch["Ingest:RateLimitPerSecond"]);
        Assert.Equal("00:00:00.050", scratch["Processor:MaxBatchWait"]);
        Assert.Equal("1000", scratch["Store:SqliteRowCacheItems"]);
        Assert.Equal("Warning", scratch["Logging:LogLevel:Default"]); // the real levels, so the same logging paths are compiled
        Assert.Equal("/tmp/scratch", scratch["DataDir"]);
        Assert.Equal("embedded", scratch["Queue:Kind"]);
        Assert.Equal("sqlite", scratch["Store:Kind"]);
        Assert.Equal("ik", scratch["Auth:IngestKeys:0"]);
        Assert.Equal("secret", scratch["Auth:MemberTokenSecret"]);
        var values = string.Join("\n", scratch.Select(kv => $"{kv.Key}={kv.Value}"));
        foreach (var absent in new[] { "secret@", "Password", "Host=", "Feed:", "Archive:", "ConfigFile", "OTEL_", "Roles", "/var/lib/vh", "the-real" })
        {
            Assert.DoesNotContain(absent, values, StringComparison.Ordinal);
        }
    }

    private static async Task<List<JsonElement>> ChangesAsync(ServerProcess server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/changes?limit=1000");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestCredentials.ServiceKey);
        using var response = await server.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. body.RootElement.GetProperty("changes").EnumerateArray().Select(c => c.Clone())];
    }

    [GeneratedRegex(@"Warmed up in [0-9.]+ s on a scratch copy of the service: (?<requests>\d+) requests \((?<failed>\d+) not answered 2xx\)")]
    private static partial Regex WarmedLine();

    [GeneratedRegex(@"^vh_ingest_events_total(\{[^}]*\})? [1-9]", RegexOptions.Multiline)]
    private static partial Regex NonZeroIngestCount();
}
