using System.Globalization;
using System.Text.RegularExpressions;
using ViewingHistory.Testing;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests.Feeds;

/// <summary>
/// Issue 7 "archive": a real server process on the embedded queue; DuckDB finds every acknowledged eventId in the
/// Parquet archive, also after a SIGKILL in the middle of the load and a restart on the same data dir.
/// </summary>
public sealed partial class ArchiveProcessTests(ITestOutputHelper output) : IDisposable
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
        var first = await Eventually.UntilAsync(
            () => Task.FromResult(ArchiveQuery.ReadAll(ArchiveRoot)),
            rows => acknowledged.IsSubsetOf(rows.Select(r => r.EventId)),
            TimeSpan.FromSeconds(90),
            "every acknowledged eventId in the archive");
        // Events the queue took but whose answer the kill cut off are archived too, after the acknowledged ones may
        // already all be there: the archive is complete only once it has acknowledged everything in the queue.
        await Eventually.UntilAsync(() => ArchiveLagAsync(restarted), lag => lag == 0, TimeSpan.FromSeconds(60), "the archive's lag at 0");
        var archived = ArchiveQuery.ReadAll(ArchiveRoot);
        Assert.True(acknowledged.IsSubsetOf(archived.Select(r => r.EventId)));
        output.WriteLine($"distinct eventIds archived once every acknowledged one was: {first.Select(r => r.EventId).Distinct().Count()}; once the lag was 0: {archived.Select(r => r.EventId).Distinct().Count()}");
        AssertFaithful(archived, driver, sent);
        var metrics = await restarted.Client.GetStringAsync("/metrics");
        Assert.Matches(@"(?m)^vh_archive_events_total(\{[^}]*\})? [1-9]", metrics);

        // With the load over, compaction leaves at most one small file per hour, and the same events.
        var ids = archived.Select(r => r.EventId).ToHashSet(StringComparer.Ordinal);
        await Eventually.UntilAsync(
            () => Task.FromResult(Directory.EnumerateDirectories(ArchiveRoot, "hour=*", SearchOption.AllDirectories).All(h => Directory.GetFiles(h, "*.parquet").Length == 1)),
            TimeSpan.FromSeconds(60),
            "one file per hour after compaction");
        var compacted = ArchiveQuery.ReadAll(ArchiveRoot);
        var after = compacted.Select(r => r.EventId).ToHashSet(StringComparer.Ordinal);
        Assert.True(
            ids.SetEquals(after),
            $"compaction changed the set of archived eventIds: {ids.Except(after).Count()} gone, {after.Except(ids).Count()} new");
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

    /// <summary>The sum of the archive's lag series, or -1 while the gauge has no series yet.</summary>
    private static async Task<long> ArchiveLagAsync(ServerProcess server)
    {
        var text = await server.Client.GetStringAsync("/metrics");
        var lags = ArchiveLagLine().Matches(text);
        return lags.Count == 0 ? -1 : lags.Sum(m => (long)double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^vh_archive_lag_events(?:\{[^}]*\})? (\S+)", RegexOptions.Multiline)]
    private static partial Regex ArchiveLagLine();

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
            Assert.Equal(DateTimeOffset.Parse((string)e["timestamp"]!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), row.TimestampMs);
            var at = DateTimeOffset.FromUnixTimeMilliseconds(row.TimestampMs).UtcDateTime;
            Assert.Equal((at.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), at.Hour), (row.Date, row.Hour));
        }
    }
}
