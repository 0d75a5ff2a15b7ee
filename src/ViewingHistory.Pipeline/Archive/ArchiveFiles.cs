using System.Globalization;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using ViewingHistory.Core.Durability;

namespace ViewingHistory.Pipeline.Archive;

/// <summary>
/// The archive's layout on disk: <c>&lt;root&gt;/date=YYYY-MM-DD/hour=HH/*.parquet</c> (Hive partitioning, by the
/// event's own timestamp, UTC). A file appears atomically: it is written under a temp name in its final directory
/// (which no <c>*.parquet</c> glob matches), fsynced, renamed, and the directory fsynced, so a reader never sees a
/// partial file and a file that is seen survives a crash.
/// </summary>
public static class ArchiveFiles
{
    public const string Extension = ".parquet";
    private const string TempExtension = ".tmp";
    private const long HourMs = 3_600_000;

    /// <summary>The archive's schema, as <see cref="ParquetSerializer"/> reads it from <see cref="ArchiveRow"/>'s properties and attributes.</summary>
    private static readonly ParquetSchema Schema = typeof(ArchiveRow).GetParquetSchema(forWriting: true);

    /// <summary>
    /// How files are written. Dictionary encoding is tried on a sample first: a column of ids that are all different
    /// (eventId) is not scanned whole to find that out. The library's stream pool keeps no more than this much unused
    /// memory (it keeps all of it by default).
    /// </summary>
    private static readonly ParquetOptions WriteOptions = new()
    {
        DictionaryEncodingSampleSize = 1_000,
        MaximumSmallPoolFreeBytes = 16 << 20,
        MaximumLargePoolFreeBytes = 64 << 20,
    };

    /// <summary>The hour directory of an event stamped <paramref name="timestamp"/> (UTC).</summary>
    public static string HourDirectory(string root, DateTime timestamp) => Path.Combine(
        root,
        "date=" + timestamp.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        "hour=" + timestamp.ToString("HH", CultureInfo.InvariantCulture));

    /// <summary>The hour (since the Unix epoch, UTC) of an event stamped <paramref name="timestampMs"/>: one hour directory per value.</summary>
    public static long HourOf(long timestampMs) => Math.DivRem(timestampMs, HourMs, out var rest) - (rest < 0 ? 1 : 0);

    /// <summary>The hour directory of <paramref name="hour"/> (<see cref="HourOf"/>).</summary>
    public static string HourDirectory(string root, long hour) => HourDirectory(root, DateTime.UnixEpoch.AddHours(hour));

    /// <summary>Writes <paramref name="rows"/> as one new Parquet file in <paramref name="directory"/>, durably; returns its path.</summary>
    public static async Task<string> WriteAsync(string directory, string prefix, IReadOnlyCollection<ArchiveRow> rows, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);

        // The name sorts by creation time and is unique across processes sharing the directory.
        var name = $"{prefix}-{DateTime.UtcNow:yyyyMMddTHHmmssfff}-{Guid.NewGuid():N}";
        var temp = Path.Combine(directory, "." + name + TempExtension);
        var final = Path.Combine(directory, name + Extension);
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await WriteRowsAsync(rows, stream, cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, final);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        DurableFile.SyncDirectory(directory);
        return final;
    }

    /// <summary>
    /// Replaces the file at <paramref name="path"/> by one holding <paramref name="rows"/>, atomically: written under a
    /// temp name beside it, fsynced, renamed over it, the directory fsynced. No rows: the file is deleted.
    /// </summary>
    public static async Task ReplaceAsync(string path, IReadOnlyCollection<ArchiveRow> rows, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path)!;
        if (rows.Count == 0)
        {
            File.Delete(path);
            DurableFile.SyncDirectory(directory);
            return;
        }

        var temp = Path.Combine(directory, "." + Path.GetFileNameWithoutExtension(path) + "-" + Guid.NewGuid().ToString("N") + TempExtension);
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await WriteRowsAsync(rows, stream, cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        DurableFile.SyncDirectory(directory);
    }

    /// <summary>
    /// <paramref name="rows"/> as Parquet into <paramref name="stream"/>, column by column in <see cref="Schema"/>'s
    /// order, in row groups of the serializer's default size: the file <see cref="ParquetSerializer"/> writes (its
    /// schema and rows; a test compares them), without its per-row shredding (benchmarks/NOTES.md: 15-25 % less CPU
    /// per file; most of what is left is the encoding and the column statistics).
    /// </summary>
    private static async Task WriteRowsAsync(IReadOnlyCollection<ArchiveRow> rows, Stream stream, CancellationToken cancellationToken)
    {
        await using var writer = await ParquetWriter.CreateAsync(Schema, stream, WriteOptions, cancellationToken: cancellationToken);
        foreach (var group in rows.Chunk(ParquetOptions.DefaultRowGroupSize))
        {
            using var rowGroup = writer.CreateRowGroup();
            foreach (var field in Schema.DataFields)
            {
                await (field.Name switch
                {
                    "eventId" => rowGroup.WriteAsync(field, Array.ConvertAll(group, r => r.EventId)),
                    "memberId" => rowGroup.WriteAsync(field, Array.ConvertAll(group, r => r.MemberId)),
                    "titleId" => rowGroup.WriteAsync(field, Array.ConvertAll(group, r => r.TitleId)),
                    "sessionId" => rowGroup.WriteAsync(field, Array.ConvertAll(group, r => r.SessionId)),
                    "seq" => rowGroup.WriteAsync<int>(field, Array.ConvertAll(group, r => r.Seq), cancellationToken: cancellationToken),
                    "type" => rowGroup.WriteAsync(field, Array.ConvertAll(group, r => r.Type)),
                    "positionMs" => rowGroup.WriteAsync<long>(field, Array.ConvertAll(group, r => r.PositionMs), cancellationToken: cancellationToken),
                    "durationMs" => rowGroup.WriteAsync<long>(field, Array.ConvertAll(group, r => r.DurationMs), cancellationToken: cancellationToken),
                    "timestamp" => rowGroup.WriteAsync<DateTime>(field, Array.ConvertAll(group, r => r.Timestamp), cancellationToken: cancellationToken),
                    "device" => rowGroup.WriteAsync(field, Array.ConvertAll(group, r => r.Device)),
                    "acceptedAt" => rowGroup.WriteAsync<DateTime>(field, Array.ConvertAll(group, r => r.AcceptedAt), cancellationToken: cancellationToken),
                    _ => throw new InvalidOperationException($"The archive's schema has a column '{field.Name}' that no code writes."),
                });
            }
        }
    }

    public static async Task<IList<ArchiveRow>> ReadAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        return (await ParquetSerializer.DeserializeAsync<ArchiveRow>(stream, cancellationToken: cancellationToken)).Data;
    }

    /// <summary>The hour directories under <paramref name="root"/>.</summary>
    public static IEnumerable<string> HourDirectories(string root) =>
        Directory.Exists(root)
            ? Directory.EnumerateDirectories(root, "date=*").SelectMany(d => Directory.EnumerateDirectories(d, "hour=*"))
            : [];

    /// <summary>
    /// Removes temp files a crash left behind. Only files older than <paramref name="olderThan"/> go, so a write in
    /// progress in another process sharing the archive is not disturbed.
    /// </summary>
    public static void RemoveStaleTempFiles(string hourDirectory, TimeSpan olderThan)
    {
        foreach (var temp in Directory.EnumerateFiles(hourDirectory, "*" + TempExtension))
        {
            if (File.GetLastWriteTimeUtc(temp) < DateTime.UtcNow - olderThan)
            {
                File.Delete(temp);
            }
        }
    }
}
