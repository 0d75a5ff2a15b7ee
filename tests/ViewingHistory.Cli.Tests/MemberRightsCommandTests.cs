using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ViewingHistory.Testing;

namespace ViewingHistory.Cli.Tests;

/// <summary>
/// <c>vh export</c> and <c>vh erase</c> against a real server process (CONTRACT.md "Member data rights"): what they
/// print and how they exit, also for a member id the server refuses and a server that is not there.
/// </summary>
public sealed class MemberRightsCommandTests : IAsyncLifetime
{
    private const string IngestKey = "rights-ingest-key-0123456789";
    private const string ServiceKey = "rights-service-key-0123456789";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _data = new("vh-cli-rights");
    private ServerProcess _server = null!;

    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync(new Dictionary<string, string>
    {
        ["DataDir"] = _data.Path,
        ["Auth:IngestKeys:0"] = IngestKey,
        ["Auth:ServiceKeys:0"] = ServiceKey,
        ["Auth:MemberTokenSecret"] = "rights-member-token-secret-0123456789-abcdef",
        ["Processor:MaxBatchWait"] = "00:00:00.005",
        ["Archive:FlushInterval"] = "00:00:00.200",
        ["Erasure:ArchiveWithin"] = "00:00:02",
        ["Erasure:PurgeInterval"] = "00:00:00.200",
    });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _data.Dispose();
    }

    [Fact(Timeout = 60_000)]
    public async Task Export_prints_the_json_export_and_the_csv_items()
    {
        var member = await MemberWithTwoTitlesAsync("exp");

        var (exit, output) = await VhAsync("export", "--member", member);
        Assert.True(exit == 0, output);
        var export = JsonNode.Parse(output)!.AsObject();
        Assert.Equal(member, (string)export["memberId"]!);
        Assert.Equal(["b", "a"], export["items"]!.AsArray().Select(i => (string)i!["titleId"]!));
        Assert.Equal(["a", "b"], export["sessions"]!.AsArray().Select(s => (string)s!["titleId"]!));

        var (csvExit, csv) = await VhAsync("export", "--member", member, "--csv");
        Assert.True(csvExit == 0, csv);
        Assert.Equal(
            "titleId,lastWatchedAt,positionMs,durationMs,progress,completed,sessions\r\n" +
            "b,2026-01-01T00:01:00.000Z,50000,100000,0.5,false,1\r\n" +
            "a,2026-01-01T00:00:00.000Z,10000,100000,0.1,false,1\r\n",
            csv);
    }

    [Fact(Timeout = 60_000)]
    public async Task Erase_with_wait_prints_the_mark_then_completedAt_and_the_export_is_empty_after()
    {
        var member = await MemberWithTwoTitlesAsync("era");

        var (exit, output) = await VhAsync("erase", "--member", member, "--wait", "--wait-timeout", "00:00:40");
        Assert.True(exit == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Matches(@"^requestedAt \S+Z, erasedThrough \S+Z$", lines[0]);
        Assert.Matches(@"^completedAt \S+Z$", lines[^1]);

        var (exportExit, exported) = await VhAsync("export", "--member", member);
        Assert.True(exportExit == 0, exported);
        var export = JsonNode.Parse(exported)!.AsObject();
        Assert.Empty(export["items"]!.AsArray());
        Assert.Empty(export["sessions"]!.AsArray());
        Assert.True(DateTimeOffset.TryParse((string?)export["erasedAt"], CultureInfo.InvariantCulture, out _), exported);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_refused_member_id_and_an_unreachable_server_exit_1_with_the_reason()
    {
        foreach (var command in new[] { "export", "erase" })
        {
            var (exit, output) = await VhAsync(command, "--member", "no spaces!");
            Assert.True(exit == 1 && output.Contains("400", StringComparison.Ordinal), $"vh {command}: exit {exit}\n{output}");
        }

        var nowhere = $"http://127.0.0.1:{FreePort.Next()}";
        foreach (var command in new[] { "export", "erase" })
        {
            var (exit, output) = await RunAsync(command, "--member", "m1", "--url", nowhere, "--service-key", ServiceKey, "--timeout", "00:00:05");
            Assert.True(exit == 1 && output.Contains("Could not reach", StringComparison.Ordinal), $"vh {command}: exit {exit}\n{output}");
        }

        var (wrongKey, refused) = await RunAsync("export", "--member", "m1", "--url", _server.BaseAddress.ToString(), "--service-key", "not-a-key");
        Assert.True(wrongKey == 1 && refused.Contains("401", StringComparison.Ordinal), refused);
    }

    private async Task<string> MemberWithTwoTitlesAsync(string prefix)
    {
        var member = $"{prefix}-{Guid.NewGuid():N}"[..20];
        var batch = new JsonArray(Event(member, "a", 10_000, 0), Event(member, "b", 50_000, 1));
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json") })
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + IngestKey);
            using var response = await _server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await Eventually.UntilAsync(
            async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/members/{member}/history");
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + ServiceKey);
                using var response = await _server.Client.SendAsync(request);
                return JsonNode.Parse(await response.Content.ReadAsStringAsync())?["items"]?.AsArray().Count ?? 0;
            },
            n => n == 2,
            TimeSpan.FromSeconds(30),
            "both titles in the history");
        return member;
    }

    private static JsonObject Event(string member, string title, long position, int minute) => new()
    {
        ["eventId"] = $"{member}-{title}",
        ["memberId"] = member,
        ["titleId"] = title,
        ["sessionId"] = "s",
        ["seq"] = 0,
        ["type"] = "progress",
        ["positionMs"] = position,
        ["durationMs"] = 100_000,
        ["timestamp"] = new DateTimeOffset(2026, 1, 1, 0, minute, 0, TimeSpan.Zero).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    };

    private Task<(int Exit, string Output)> VhAsync(params string[] args) =>
        RunAsync([.. args, "--url", _server.BaseAddress.ToString(), "--service-key", ServiceKey]);

    /// <summary>
    /// Runs vh and returns its exit code and its stdout byte for byte (the CSV's CRLFs included; <see cref="VhProcess"/>
    /// reads by lines), stderr after it.
    /// </summary>
    private static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(BuiltBinaries.Dll("ViewingHistory.Cli", "vh"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove("VH_SERVICE_KEY");
        using var process = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("Could not start vh.");
        using var timeout = new CancellationTokenSource(RunTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"vh {string.Join(' ', args)} did not finish within {RunTimeout.TotalSeconds} s.");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
