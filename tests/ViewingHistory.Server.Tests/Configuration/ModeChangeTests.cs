using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ViewingHistory.Queue;
using ViewingHistory.Queue.Embedded;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Testing;
using Xunit.Abstractions;

namespace ViewingHistory.Server.Tests.Configuration;

/// <summary>Issue 12, item 1: moving between modes strands nothing (CONTRACT.md "Modes").</summary>
public sealed class ModeChangeTests(ITestOutputHelper output) : IDisposable
{
    private const long MaxBytes = 32L << 20;
    private readonly TempDirectory _data = new("vh-modes");

    [Fact(Timeout = 300_000)]
    public async Task Leaving_shadow_mode_no_longer_stops_the_embedded_log_from_truncating()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Queue:MaxBytes"] = MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Archive:Enabled"] = "false",
        };
        var member = Ev.NewId("shadow-left");
        var seq = 0;

        // Shadow mode registers the "shadow" consumer on the embedded log and gives it a checkpoint.
        await using (var shadow = InProcessHost.Start(_data.Path, new Dictionary<string, string?>(settings) { ["Pipeline:Mode"] = "shadow" }))
        {
            await shadow.Contract.PostAcceptedAsync(Ev.Batch(Events(member, ref seq, 50)));
            var queue = (EmbeddedEventQueue)shadow.Services.GetRequiredService<IEventQueue>();
            Assert.Contains("shadow", queue.ConsumerNames);
        }

        await using var server = InProcessHost.Start(_data.Path, new Dictionary<string, string?>(settings) { ["Pipeline:Mode"] = "async" });
        var log = (EmbeddedEventQueue)server.Services.GetRequiredService<IEventQueue>();
        Assert.DoesNotContain("shadow", log.ConsumerNames);

        // Ingest three times the log's bound in total, in rounds of half of it, letting processing and truncation catch
        // up after each round: with the shadow checkpoint left behind, the log filled up and ingest answered 503.
        long appended = 0;
        var rounds = 0;
        while (appended < 3 * MaxBytes)
        {
            var before = log.RetainedBytes;
            while (log.RetainedBytes < MaxBytes / 2)
            {
                using var response = await server.Contract.PostAsync(Ev.Batch(Events(member, ref seq, 500)));
                Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"round {rounds}: ingest answered {(int)response.StatusCode} with {log.RetainedBytes} bytes retained: {await response.Content.ReadAsStringAsync()}");
            }

            appended += log.RetainedBytes - before;
            rounds++;
            await Eventually.UntilAsync(() => Task.FromResult(log.RetainedBytes), b => b < MaxBytes / 4, TimeSpan.FromSeconds(60), $"the log to truncate after round {rounds}");
        }

        output.WriteLine($"{rounds} rounds, {appended >> 20} MiB appended over a bound of {MaxBytes >> 20} MiB, {seq} events");
        var last = seq - 1;
        await server.Contract.ReadUntilAsync(
            member,
            items => items.Any(i => (long?)i["positionMs"] == last * 10L),
            "the last event to be applied");
    }

    public void Dispose() => _data.Dispose();

    /// <summary>Heartbeats of one session per batch (they coalesce into a row or two), spread over a few titles.</summary>
    private static List<JsonObject> Events(string member, ref int seq, int count)
    {
        var events = new List<JsonObject>(count);
        var title = $"t{seq / 500 % 5}";
        var session = $"s{seq / 500}";
        for (var i = 0; i < count; i++, seq++)
        {
            events.Add(Ev.Make(member, title, session, seq, position: seq * 10L, duration: 86_400_000, at: Ev.Base.AddMilliseconds(seq)));
        }

        return events;
    }
}
