using ViewingHistory.Testing;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests.Feeds;

/// <summary>
/// Issue 7 "archive": a real server process on the embedded queue; DuckDB finds every acknowledged eventId in the
/// Parquet archive, also after a SIGKILL in the middle of the load and a restart on the same data dir.
/// </summary>
public sealed class ArchiveProcessTests(ITestOutputHelper output) : IDisposable
{
    private const string IngestKey = "e2e-ingest-key-0123456789";
    private const string ServiceKey = "e2e-service-key-0123456789";
    private readonly TempDirectory _data = new("vh-e2e-archive");

    private string ArchiveRoot => Path.Combine(_data.Path, "archive");

    private Dictionary<string, string> Settings(string compactInterval = "00:05:00") => new()
    {
        ["DataDir"] = _data.Path,
        ["Auth:IngestKeys:0"] = IngestKey,
        ["Auth:ServiceKeys:0"] = ServiceKey,
        ["Auth:MemberTokenSecret"] = "e2e-member-token-secret-0123456789-abcdef",
        ["Archive:FlushInterval"] = "00:00:00.200",
        ["Archive:MaxRowsPerFile"] = "2000",
        ["Archive:CompactInterval"] = compactInterval,
    };

    [Fact]
    public async Task Every_acknowledged_event_is_archived_also_after_a_SIGKILL_and_a_restart_and_compaction_keeps_them()
    {
        var driver = new LoadDriver(IngestKey, $"arc-{Guid.NewGuid():N}"[..16]) { BatchSize = 100 };
        // Killed while requests are in flight and the archive holds a buffer it has not written yet.
        await KillUnderLoad.RunAsync(Settings(), driver, acknowledged: 10_000);

        var acknowledged = driver.Acknowledged.Values.Select(e => (string)e["eventId"]!).ToHashSet(StringComparer.Ordinal);
        var sent = driver.Sent.Values.Select(e => (string)e["eventId"]!).ToHashSet(StringComparer.Ordinal);
        output.WriteLine($"acknowledged {acknowledged.Count}, sent {sent.Count}, archived before the restart {ArchiveQuery.ReadAll(ArchiveRoot).Count}");

        await using var restarted = await ServerProcess.StartAsync(Settings(compactInterval: "00:00:01"));
        var archived = await Eventually.UntilAsync(
            () => Task.FromResult(ArchiveQuery.ReadAll(ArchiveRoot)),
            rows => acknowledged.IsSubsetOf(rows.Select(r => r.EventId)),
            TimeSpan.FromSeconds(90),
            "every acknowledged eventId in the archive");
        AssertFaithful(archived, driver, sent);
        var metrics = await restarted.Client.GetStringAsync("/metrics");
        Assert.Matches(@"(?m)^vh_archive_events_total(\{[^}]*\})? [1-9]", metrics);
        Assert.Matches(@"(?m)^vh_archive_lag_events(\{[^}]*\})? ", metrics);

        // With the load over, compaction leaves at most one small file per hour, and the same events.
        var ids = archived.Select(r => r.EventId).ToHashSet(StringComparer.Ordinal);
        await Eventually.UntilAsync(
            () => Task.FromResult(Directory.EnumerateDirectories(ArchiveRoot, "hour=*", SearchOption.AllDirectories).All(h => Directory.GetFiles(h, "*.parquet").Length == 1)),
            TimeSpan.FromSeconds(60),
            "one file per hour after compaction");
        var compacted = ArchiveQuery.ReadAll(ArchiveRoot);
        Assert.True(ids.SetEquals(compacted.Select(r => r.EventId)), "compaction changed the set of archived eventIds");
        AssertFaithful(compacted, driver, sent);
        output.WriteLine($"archived rows {archived.Count} (distinct {ids.Count}), after compaction {compacted.Count}");
    }

    [Fact]
    public async Task Turning_the_archive_off_removes_its_consumer_so_it_no_longer_holds_the_log_back()
    {
        await using (var server = await ServerProcess.StartAsync(Settings()))
        {
            await server.StopAsync(TimeSpan.FromSeconds(30));
        }

        var settings = Settings();
        settings["Archive:Enabled"] = "false";
        await using var restarted = await ServerProcess.StartAsync(settings);
        Assert.Contains("queue consumer 'archive' is not run by this configuration: retired", restarted.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _data.Dispose();

    /// <summary>Nothing invented, and every copy of an event is the event as it was sent, in its hour.</summary>
    private static void AssertFaithful(List<ArchivedEvent> rows, LoadDriver driver, HashSet<string> sent)
    {
        var byId = driver.Sent.Values.ToDictionary(e => (string)e["eventId"]!, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            Assert.Contains(row.EventId, sent);
            var e = byId[row.EventId];
            Assert.Equal((string)e["memberId"]!, row.MemberId);
            Assert.Equal((string)e["titleId"]!, row.TitleId);
            Assert.Equal((long)e["positionMs"]!, row.PositionMs);
            Assert.Equal(DateTimeOffset.Parse((string)e["timestamp"]!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), row.TimestampMs);
            var at = DateTimeOffset.FromUnixTimeMilliseconds(row.TimestampMs).UtcDateTime;
            Assert.Equal((at.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), at.Hour), (row.Date, row.Hour));
        }
    }
}
