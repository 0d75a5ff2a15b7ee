using ViewingHistory.Testing;
using Xunit.Abstractions;

namespace ViewingHistory.Cli.Tests;

/// <summary><c>vh simulate</c> against the real server: the verdict matches when the service keeps the contract, and says so when it cannot.</summary>
public sealed class SimulateCommandTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string IngestKey = "sim-ingest-key-0123456789";
    private const string ServiceKey = "sim-service-key-0123456789";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    private readonly TempDirectory _data = new("vh-sim");
    private ServerProcess? _server;

    private Dictionary<string, string> Settings => new()
    {
        ["DataDir"] = _data.Path,
        ["Auth:IngestKeys:0"] = IngestKey,
        ["Auth:ServiceKeys:0"] = ServiceKey,
        ["Auth:MemberTokenSecret"] = "sim-member-token-secret-0123456789-abcdef",
    };

    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync(Settings);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _data.Dispose();
    }

    private string[] Args(string prefix, string duration, int seed, string settle, params string[] more) =>
    [
        "simulate", "--url", _server!.BaseAddress.ToString(), "--ingest-key", IngestKey, "--service-key", ServiceKey,
        "--prefix", prefix, "--duration", duration, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--settle", settle, .. more,
    ];

    private async Task<(int Exit, string Output)> RunAsync(string[] args)
    {
        using var vh = VhProcess.Start(args);
        var exit = await vh.WaitAsync(RunTimeout);
        output.WriteLine(vh.Output);
        return (exit, vh.Output);
    }

    [Fact(Timeout = 240_000)]
    public async Task Ten_seconds_of_a_fleet_with_duplicates_reordering_bursts_and_hides_match_the_model()
    {
        var (exit, text) = await RunAsync(Args(
            "t-match", "10s", 1234, "60s",
            "--members", "12", "--rate", "120", "--batch", "25", "--duplicate-rate", "0.1", "--reorder-rate", "0.2", "--burst", "3x/4s", "--hides"));

        Assert.True(exit == 0, $"vh simulate exited with {exit}:\n{text}");
        Assert.Contains("VERDICT: MATCH", text, StringComparison.Ordinal);
        Assert.Contains("hides", text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 240_000)]
    public async Task The_verdict_is_a_mismatch_when_the_server_holds_events_the_model_does_not_know()
    {
        // Two runs with the same ids: the second one's model lacks the first one's events, which the server keeps.
        var (first, firstText) = await RunAsync(Args("t-twice", "3s", 1, "60s", "--members", "5", "--rate", "100"));
        Assert.True(first == 0, $"the first run exited with {first}:\n{firstText}");

        var (second, secondText) = await RunAsync(Args("t-twice", "3s", 2, "3s", "--members", "5", "--rate", "100"));
        Assert.True(second == 1, $"the second run exited with {second}:\n{secondText}");
        Assert.Contains("VERDICT: MISMATCH", secondText, StringComparison.Ordinal);
    }

    [Fact(Timeout = 240_000)]
    public async Task The_simulator_resends_through_a_server_crash_and_still_matches()
    {
        using var vh = VhProcess.Start(Args("t-crash", "12s", 99, "60s", "--members", "8", "--rate", "100"));
        await Eventually.UntilAsync(() => Task.FromResult(vh.Output.Contains(" accepted ", StringComparison.Ordinal) && !vh.Output.Contains("accepted 0 ", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the simulator's first accepted events");

        // SIGKILL and a restart on the same port and data: what was answered 202 must survive, the rest is resent.
        var port = _server!.Port;
        await _server.KillAsync();
        await _server.DisposeAsync();
        _server = await ServerProcess.StartAsync(Settings, port);

        var exit = await vh.WaitAsync(RunTimeout);
        output.WriteLine(vh.Output);
        Assert.True(exit == 0, $"vh simulate exited with {exit}:\n{vh.Output}");
        Assert.Contains("VERDICT: MATCH", vh.Output, StringComparison.Ordinal);
    }
}
