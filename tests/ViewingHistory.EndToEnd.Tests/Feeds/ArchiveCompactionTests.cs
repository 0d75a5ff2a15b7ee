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

    [Fact]
    public async Task A_file_is_the_one_the_parquet_serializer_writes_of_the_same_rows()
    {
        // ArchiveFiles writes column by column; the schema and the rows must be the serializer's, which defines them.
        var at = new DateTime(2026, 11, 27, 17, 0, 0, DateTimeKind.Utc);
        var rows = Enumerable.Range(0, 3_000).Select(i => ArchiveRow.From(
            new PlaybackEvent($"e-{i}", $"m-{i % 17}", $"t-{i % 5}", $"s-{i % 40}", i, (PlaybackEventType)(i % 5), i * 1000L, 3_600_000, new DateTimeOffset(at).ToUnixTimeMilliseconds() + i, i % 3 == 0 ? null : $"tv-{i % 4}"),
            new DateTimeOffset(at).ToUnixTimeMilliseconds() + i + 7)).ToList();
        var ours = await ArchiveFiles.WriteAsync(_root.Path, "part", rows, CancellationToken.None);
        var theirs = Path.Combine(_root.Path, "serializer.parquet");
        await using (var stream = File.Create(theirs))
        {
            await Parquet.Serialization.ParquetSerializer.SerializeAsync(rows, stream);
        }

        await using (var a = await Parquet.ParquetReader.CreateAsync(ours))
        await using (var b = await Parquet.ParquetReader.CreateAsync(theirs))
        {
            Assert.True(a.Schema.Equals(b.Schema), a.Schema.GetNotEqualsMessage(b.Schema, "ours", "the serializer's"));
        }

        static string Text(ArchiveRow r) => System.Text.Json.JsonSerializer.Serialize(r);
        Assert.Equal((await ArchiveFiles.ReadAsync(theirs, CancellationToken.None)).Select(Text), (await ArchiveFiles.ReadAsync(ours, CancellationToken.None)).Select(Text));
        Assert.Equal(rows.Select(Text), (await ArchiveFiles.ReadAsync(ours, CancellationToken.None)).Select(Text));
    }

    [Theory]
    [InlineData("2026-11-27T17:59:59.999Z", "date=2026-11-27/hour=17")]
    [InlineData("2026-11-27T18:00:00.000Z", "date=2026-11-27/hour=18")]
    [InlineData("1970-01-01T00:00:00.000Z", "date=1970-01-01/hour=00")]
    [InlineData("1969-12-31T23:59:59.999Z", "date=1969-12-31/hour=23")]
    public void The_hour_of_a_timestamp_names_the_directory_its_date_time_names(string timestamp, string expected)
    {
        var at = DateTimeOffset.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture);
        var directory = ArchiveFiles.HourDirectory("root", ArchiveFiles.HourOf(at.ToUnixTimeMilliseconds()));
        Assert.Equal(Path.Combine("root", expected), directory);
        Assert.Equal(ArchiveFiles.HourDirectory("root", at.UtcDateTime), directory);
    }

    public void Dispose() => _root.Dispose();

    private static ArchiveRow Row(string id, DateTime at) => ArchiveRow.From(
        new PlaybackEvent(id, "m", "t", "s", 0, PlaybackEventType.Progress, 1, 100, new DateTimeOffset(at).ToUnixTimeMilliseconds(), "tv"),
        new DateTimeOffset(at).ToUnixTimeMilliseconds());
}
