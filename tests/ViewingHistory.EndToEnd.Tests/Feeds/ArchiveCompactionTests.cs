using Microsoft.Extensions.Logging.Abstractions;
using ViewingHistory.Core.Events;
using ViewingHistory.Pipeline.Archive;
using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests.Feeds;

/// <summary>Compaction merges the small files of an hour without changing what DuckDB reads.</summary>
public sealed class ArchiveCompactionTests : IDisposable
{
    private readonly TempDirectory _root = new("vh-archive");

    [Fact]
    public async Task Compaction_merges_small_files_and_leaves_the_set_of_event_ids_unchanged()
    {
        var now = DateTime.UtcNow;
        var hour = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc).AddHours(-3);
        var options = new ArchiveOptions { MaxRowsPerCompactedFile = 250 };
        for (var file = 0; file < 12; file++)
        {
            var rows = Enumerable.Range(0, 50).Select(i => Row($"e{file}-{i}", hour.AddSeconds(i))).ToList();
            await ArchiveFiles.WriteAsync(ArchiveFiles.HourDirectory(_root.Path, hour), "part", rows, CancellationToken.None);
        }

        // Another hour with one file only: nothing to merge there.
        await ArchiveFiles.WriteAsync(ArchiveFiles.HourDirectory(_root.Path, hour.AddHours(1)), "part", [Row("lonely", hour.AddHours(1))], CancellationToken.None);
        var before = ArchiveQuery.ReadAll(_root.Path);

        var merged = await new ArchiveCompactor(_root.Path, options, NullLogger.Instance).CompactAsync(CancellationToken.None);
        var after = ArchiveQuery.ReadAll(_root.Path);

        Assert.Equal(12, merged);
        Assert.Equal(601, before.Count);
        Assert.Equal(before.OrderBy(r => r.EventId, StringComparer.Ordinal), after.OrderBy(r => r.EventId, StringComparer.Ordinal));
        var files = Directory.GetFiles(ArchiveFiles.HourDirectory(_root.Path, hour), "*.parquet");
        Assert.Equal(3, files.Length); // 600 rows at most 250 a file, whole parts only: 250 + 250 + 100
        Assert.Empty(Directory.GetFiles(_root.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Rows_carry_the_documented_schema_and_sit_in_their_event_hour()
    {
        var at = new DateTime(2026, 11, 27, 17, 59, 59, 999, DateTimeKind.Utc);
        var e = new PlaybackEvent("e-1", "m-1", "t-1", "s-1", 7, PlaybackEventType.Pause, 1234, 5678, new DateTimeOffset(at).ToUnixTimeMilliseconds(), null);
        var accepted = new DateTimeOffset(at).ToUnixTimeMilliseconds() + 5;
        var row = ArchiveRow.From(e, accepted);
        await ArchiveFiles.WriteAsync(ArchiveFiles.HourDirectory(_root.Path, row.Timestamp), "part", [row], CancellationToken.None);

        var read = Assert.Single(ArchiveQuery.ReadAll(_root.Path));

        Assert.Equal(
            new ArchivedEvent("e-1", "m-1", "t-1", "s-1", 7, "pause", 1234, 5678, e.TimestampMs, null, accepted, "2026-11-27", 17),
            read);
    }

    public void Dispose() => _root.Dispose();

    private static ArchiveRow Row(string id, DateTime at) => ArchiveRow.From(
        new PlaybackEvent(id, "m", "t", "s", 0, PlaybackEventType.Progress, 1, 100, new DateTimeOffset(at).ToUnixTimeMilliseconds(), "tv"),
        new DateTimeOffset(at).ToUnixTimeMilliseconds());
}
