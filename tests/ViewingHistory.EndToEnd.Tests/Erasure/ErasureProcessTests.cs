using System.Net;
using ViewingHistory.EndToEnd.Tests.Feeds;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using Xunit.Abstractions;
using static ViewingHistory.EndToEnd.Tests.Erasure.ErasureClient;

namespace ViewingHistory.EndToEnd.Tests.Erasure;

/// <summary>
/// Issue 15, erasure on real server processes where the member's data is in flight: still in the queue (consumption
/// paused), behind a processor that is down, and inside an archive rewrite cut by SIGKILL. Each time the history ends
/// with none of the covered events, <c>completedAt</c> arrives, and an event after E shows.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ErasureProcessTests(PostgresServer postgres, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Completion = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _data = new("vh-e2e-erasure-proc");

    private Dictionary<string, string> Embedded(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string>
        {
            ["DataDir"] = _data.Path,
            ["Auth:IngestKeys:0"] = Distributed.IngestKey,
            ["Auth:ServiceKeys:0"] = Distributed.ServiceKey,
            ["Auth:MemberTokenSecret"] = Distributed.MemberTokenSecret,
            ["Processor:MaxBatchWait"] = "00:00:00.005",
            ["Archive:Enabled"] = "false",
            ["Erasure:PurgeInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact(Timeout = 60_000)]
    public async Task An_erasure_while_the_members_events_are_still_in_the_queue_holds_after_consumption_resumes()
    {
        await using var server = await ServerProcess.StartAsync(Embedded());
        var (member, other) = (NewMember("queued"), NewMember("other"));
        using (var pause = await SendAsync(server.Client, HttpMethod.Post, "/v1/admin/consumption/pause"))
        {
            Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        }

        var before = DateTimeOffset.UtcNow.AddHours(-1);
        await PostAsync(server.Client, [Event(member, "t1", before), Event(member, "t2", before.AddMinutes(1)), Event(other, "t1", before)]);
        Assert.Empty(await TitlesAsync(server.Client, other)); // still in the queue
        var (requestedAt, erasedThrough) = await EraseAsync(server.Client, member);

        using (var resume = await SendAsync(server.Client, HttpMethod.Post, "/v1/admin/consumption/resume"))
        {
            Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        }

        await PostWitnessAsync(server.Client, member, requestedAt, erasedThrough);
        Assert.Equal(["witness"], await TitlesUntilAsync(server.Client, member, t => t.Contains("witness"), "the witness after E"));
        Assert.Equal(["t1"], await TitlesAsync(server.Client, other));
        await CompletedAsync(server.Client, member, Completion);
        Assert.Equal(["witness"], await TitlesAsync(server.Client, member));
    }

    [Fact(Timeout = 90_000)]
    public async Task An_erasure_while_the_processor_is_down_holds_when_it_comes_back()
    {
        await using var nats = await NatsServer.StartNewAsync();
        var db = await postgres.CreateDatabaseAsync();
        var processorSettings = Distributed.Settings(Path.Combine(_data.Path, "processor"), nats.Url, db, roles: "processor");
        processorSettings["Erasure:PurgeInterval"] = "00:00:00.200";
        processorSettings["Archive:Enabled"] = "false";

        // Deliveries to the killed processor's last pull come back after the ack wait: short, for the time budget.
        processorSettings["Queue:AckWait"] = "00:00:02";
        await using var front = await ServerProcess.StartAsync(Distributed.Settings(Path.Combine(_data.Path, "front"), nats.Url, db, roles: "ingest,api"));
        var (member, other) = (NewMember("down"), NewMember("other"));
        var before = DateTimeOffset.UtcNow.AddHours(-1);
        await using (var processor = await ServerProcess.StartAsync(processorSettings))
        {
            await PostAsync(front.Client, [Event(member, "t1", before)]);
            await TitlesUntilAsync(front.Client, member, t => t.Count == 1, "the first event applied");
            await processor.KillAsync();
        }

        await PostAsync(front.Client, [Event(member, "t2", before.AddMinutes(1)), Event(other, "t1", before)]);
        var (requestedAt, erasedThrough) = await EraseAsync(front.Client, member);
        Assert.Empty(await TitlesAsync(front.Client, member));
        await PostWitnessAsync(front.Client, member, requestedAt, erasedThrough);
        Assert.Null((await StatusAsync(front.Client, member))["completedAt"]); // the feed's purge runs on processor nodes

        await using var back = await ServerProcess.StartAsync(processorSettings);
        Assert.Equal(["witness"], await TitlesUntilAsync(front.Client, member, t => t.Contains("witness"), "the witness after E"));
        Assert.Equal(["t1"], await TitlesUntilAsync(front.Client, other, t => t.Count == 1, "the other member's event"));
        await CompletedAsync(front.Client, member, Completion);
        Assert.Equal(["witness"], await TitlesAsync(front.Client, member));
    }

    /// <summary>
    /// The archive holds one file per hour for 300 hours, every file with rows of the erased member, so the rewrite pass
    /// takes a while; the test watches the files and kills the server as soon as the first one was replaced, then
    /// checks that the kill did land mid-pass (some files still hold the member's rows) before it restarts.
    /// </summary>
    [Fact(Timeout = 90_000)]
    public async Task A_SIGKILL_during_the_archive_rewrite_loses_no_other_members_row_and_the_rewrite_completes_after_the_restart()
    {
        const int Hours = 300;
        var settings = Embedded(("Archive:Enabled", "true"), ("Archive:FlushInterval", "00:00:00.500"), ("Archive:CompactInterval", "01:00:00"), ("Erasure:ArchiveWithin", "00:00:04"));
        var root = Path.Combine(_data.Path, "archive");
        var member = NewMember("gone");
        string[] others = [NewMember("o1"), NewMember("o2"), NewMember("o3")];
        var start = DateTimeOffset.UtcNow.AddHours(-Hours - 1);
        var events = Enumerable.Range(0, Hours).SelectMany(h => others.Prepend(member).Select(m => Event(m, $"t{h % 7}", start.AddHours(h), seq: h, position: h))).ToList();

        Dictionary<string, int> counted;
        var server = await ServerProcess.StartAsync(settings);
        try
        {
            foreach (var chunk in events.Chunk(500))
            {
                await PostAsync(server.Client, chunk);
            }

            counted = await Eventually.UntilAsync(
                () => Task.FromResult(CountPerMember(root)),
                c => c.Count == 4 && c.Values.All(n => n == Hours),
                TimeSpan.FromSeconds(45),
                "every event in the archive");
            var files = Directory.EnumerateFiles(root, "*.parquet", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
            output.WriteLine($"{files.Count} archive files");

            await EraseAsync(server.Client, member);
            // A tight poll (Eventually backs off to 250 ms, longer than the whole pass may take).
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (!files.Any(f => File.GetLastWriteTimeUtc(f.Key) != f.Value))
            {
                Assert.True(DateTime.UtcNow < deadline, "the rewrite pass did not replace any file within 20 s");
                await Task.Delay(2);
            }

            await server.KillAsync();
        }
        finally
        {
            await server.DisposeAsync();
        }

        var cut = CountPerMember(root);
        output.WriteLine($"after the kill the erased member has {cut.GetValueOrDefault(member)} of {Hours} rows");
        Assert.InRange(cut.GetValueOrDefault(member), 1, Hours - 1); // the kill landed mid-pass
        Assert.All(others, o => Assert.Equal(Hours, cut[o]));

        await using var restarted = await ServerProcess.StartAsync(settings);
        await CompletedAsync(restarted.Client, member, Completion);
        var after = CountPerMember(root);
        Assert.False(after.ContainsKey(member));
        Assert.All(others, o => Assert.Equal(counted[o], after[o]));
    }

    public void Dispose() => _data.Dispose();

    private static string NewMember(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    private static Dictionary<string, int> CountPerMember(string root) =>
        ArchiveQuery.ReadAll(root).GroupBy(r => r.MemberId).ToDictionary(g => g.Key, g => g.Select(r => r.EventId).Distinct().Count(), StringComparer.Ordinal);
}
