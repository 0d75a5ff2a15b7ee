using System.Net;
using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// CONTRACT.md "Operations": a process draining for shutdown answers 503 on <c>/health/ready</c>, while
/// <c>/health/live</c> stays 200 as long as it runs. <c>DrainDelay</c> keeps it serving for a while after SIGTERM so a
/// balancer can see that before the listeners close.
/// </summary>
public sealed class DrainReadinessTests : IDisposable
{
    private readonly TempDirectory _data = new("vh-e2e-drain");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_draining_process_answers_503_unready_while_it_is_still_live_and_then_exits_cleanly()
    {
        var settings = Distributed.Settings(_data.Path, natsUrl: string.Empty, postgres: null);
        settings["Queue:Kind"] = "embedded";
        settings.Remove("Queue:Url");
        settings["DrainDelay"] = "00:00:05";
        await using var server = await ServerProcess.StartAsync(settings);
        var before = await Readiness.ReadAsync(server);
        Assert.Equal((200, "ready"), (before.Code, before.Status));

        Signals.Send(server.Pid, Signals.SigTerm);
        var draining = await Eventually.UntilAsync(() => Readiness.ReadAsync(server), a => a.Code == 503, TimeSpan.FromSeconds(10), "/health/ready to answer 503 while draining");
        Assert.Equal("unready", draining.Status);
        Assert.Equal(new Dictionary<string, string> { ["ingest"] = "failing", ["processor"] = "failing", ["api"] = "failing" }, draining.Roles);
        using (var live = await server.Client.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        Assert.Equal(0, await server.StopAsync(TimeSpan.FromSeconds(40)));
    }
}
