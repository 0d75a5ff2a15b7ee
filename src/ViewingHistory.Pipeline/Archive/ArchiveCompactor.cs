using Microsoft.Extensions.Logging;
using ViewingHistory.Core.Durability;

namespace ViewingHistory.Pipeline.Archive;

/// <summary>
/// Merges the small files of each hour into one: the merged file is written and renamed into place atomically
/// (<see cref="ArchiveFiles.WriteAsync"/>), then the parts are deleted. A crash between the rename and the last
/// delete leaves rows both in the merged file and in a part: duplicates, which the archive's at-least-once promise
/// allows (readers deduplicate by eventId). No row is ever missing, since a part goes only after its merged file
/// is durable. One compactor per archive directory: two at once would only duplicate rows, never lose them. With an
/// <see cref="ArchiveEraser"/>, the merged rows are checked against the erasure marks read after the parts were: a
/// compaction never writes back a covered row it read before an erasure's rewrite pass.
/// </summary>
public sealed partial class ArchiveCompactor(string root, ArchiveOptions options, ILogger logger, ArchiveEraser? eraser = null)
{
    /// <summary>Compacts every hour with two or more small files. Returns the number of files merged away.</summary>
    public async Task<int> CompactAsync(CancellationToken cancellationToken)
    {
        var merged = 0;
        foreach (var hour in ArchiveFiles.HourDirectories(root).ToList())
        {
            cancellationToken.ThrowIfCancellationRequested();
            ArchiveFiles.RemoveStaleTempFiles(hour, TimeSpan.FromHours(1));
            merged += await CompactHourAsync(hour, cancellationToken);
        }

        return merged;
    }

    private async Task<int> CompactHourAsync(string hour, CancellationToken cancellationToken)
    {
        var small = new DirectoryInfo(hour).EnumerateFiles("*" + ArchiveFiles.Extension)
            .Where(f => f.Length < options.SmallFileBytes)
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => f.FullName)
            .ToList();
        if (small.Count < 2)
        {
            return 0;
        }

        var rows = new List<ArchiveRow>();
        var parts = new List<string>();
        var merged = 0;
        foreach (var part in small)
        {
            var partRows = await ArchiveFiles.ReadAsync(part, cancellationToken);
            if (rows.Count > 0 && rows.Count + partRows.Count > options.MaxRowsPerCompactedFile)
            {
                merged += await ReplaceAsync(hour, rows, parts, cancellationToken);
                rows.Clear();
                parts.Clear();
            }

            rows.AddRange(partRows);
            parts.Add(part);
        }

        merged += await ReplaceAsync(hour, rows, parts, cancellationToken);
        return merged;
    }

    private async Task<int> ReplaceAsync(string hour, List<ArchiveRow> rows, List<string> parts, CancellationToken cancellationToken)
    {
        if (parts.Count < 2)
        {
            return 0;
        }

        var kept = eraser is null ? rows : await eraser.DropCoveredAsync(rows, cancellationToken);
        var target = await ArchiveFiles.WriteAsync(hour, "compacted", kept, cancellationToken);
        foreach (var part in parts)
        {
            File.Delete(part);
        }

        DurableFile.SyncDirectory(hour);
        LogCompacted(parts.Count, rows.Count, target);
        return parts.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Archive: merged {Parts} files ({Rows} rows) into {Target}")]
    private partial void LogCompacted(int parts, int rows, string target);
}
