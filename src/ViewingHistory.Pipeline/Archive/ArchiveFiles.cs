using System.Globalization;
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

    /// <summary>The hour directory of an event stamped <paramref name="timestamp"/> (UTC).</summary>
    public static string HourDirectory(string root, DateTime timestamp) => Path.Combine(
        root,
        "date=" + timestamp.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        "hour=" + timestamp.ToString("HH", CultureInfo.InvariantCulture));

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
                await ParquetSerializer.SerializeAsync(rows, stream, cancellationToken: cancellationToken);
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
                await ParquetSerializer.SerializeAsync(rows, stream, cancellationToken: cancellationToken);
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
