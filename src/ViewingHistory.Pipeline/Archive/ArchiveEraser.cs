using System.Globalization;
using Microsoft.Extensions.Logging;
using ViewingHistory.Core.Durability;
using ViewingHistory.Core.History;
using ViewingHistory.Pipeline.Erasure;
using ViewingHistory.Store;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Pipeline.Archive;

/// <summary>
/// One archive root's part of erasures (CONTRACT.md "Member data rights"). The root registers in the store as a part
/// (<see cref="ErasureParts.Archive"/>); every write of the root (a flush, a compaction) drops covered rows against the
/// marks read from the store after its rows were gathered; and a rewrite pass, run by the archive consumer between its
/// flushes and compactions (so never beside them), rewrites every file that holds a covered row of a pending erasure,
/// atomically (a new file renamed over the old one), then reports the root clean of those erasures. A write that read
/// the marks before an erasure finished before the pass began, and the pass sees its file; every write after the pass
/// began reads the mark. A crash in the middle leaves each file either as it was or clean, and the pass runs again.
/// </summary>
public sealed partial class ArchiveEraser(IHistoryStore store, string root, string node, ErasureOptions options, ILogger logger)
{
    /// <summary>This root's part name in the store.</summary>
    public string Part { get; } = ErasureParts.Archive(node, Path.GetFullPath(root));

    private bool _registered;

    /// <summary>Registers the root as a part, once per process (a write on every pass would be a write for nothing).</summary>
    public async Task RegisterAsync(CancellationToken cancellationToken)
    {
        if (!_registered)
        {
            await store.RegisterErasurePartAsync(Part, cancellationToken);
            _registered = true;
        }
    }

    /// <summary>The rows no erasure mark covers, the marks read from the store now.</summary>
    public async Task<IReadOnlyCollection<ArchiveRow>> DropCoveredAsync(IReadOnlyCollection<ArchiveRow> rows, CancellationToken cancellationToken)
    {
        var members = rows.Select(r => r.MemberId).Distinct(StringComparer.Ordinal).ToList();
        var marks = await store.ReadErasureMarksAsync(members, cancellationToken);
        return marks.Count == 0 ? rows : rows.Where(r => !Covered(marks, r)).ToList();
    }

    /// <summary>Rewrites the files that hold rows of the erasures pending for this root; returns the files rewritten.</summary>
    public async Task<int> RunPassAsync(CancellationToken cancellationToken)
    {
        var pending = await store.ReadPendingErasuresAsync(Part, cancellationToken);
        if (pending.Count == 0)
        {
            return 0;
        }

        var marks = pending.ToDictionary(e => e.MemberId, e => e.ErasedThroughMs, StringComparer.Ordinal);
        var rewritten = 0;
        foreach (var hour in ArchiveFiles.HourDirectories(root).ToList())
        {
            foreach (var file in Directory.EnumerateFiles(hour, "*" + ArchiveFiles.Extension).Order(StringComparer.Ordinal).ToList())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rows = await ArchiveFiles.ReadAsync(file, cancellationToken);
                var kept = rows.Where(r => !Covered(marks, r)).ToList();
                if (kept.Count < rows.Count)
                {
                    await ArchiveFiles.ReplaceAsync(file, kept, cancellationToken);
                    rewritten++;
                }
            }
        }

        foreach (var erasure in pending)
        {
            await store.MarkErasurePartCleanAsync(Part, erasure.MemberId, erasure.ErasedThroughMs, cancellationToken);
        }

        LogPass(pending.Count, rewritten, root);
        return rewritten;
    }

    /// <summary>
    /// Deletes whole <c>date=</c> partitions whose every event is older than <paramref name="retention"/> (the partition's
    /// day ended before now − retention). Returns how many went.
    /// </summary>
    public static int DeleteExpired(string root, TimeSpan retention, DateTimeOffset now)
    {
        if (!Directory.Exists(root))
        {
            return 0;
        }

        var deleted = 0;
        var cutoff = now.UtcDateTime - retention;
        foreach (var partition in Directory.EnumerateDirectories(root, "date=*").ToList())
        {
            if (DateTime.TryParseExact(Path.GetFileName(partition)["date=".Length..], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var day)
                && day.AddDays(1) <= cutoff)
            {
                Directory.Delete(partition, recursive: true);
                deleted++;
            }
        }

        if (deleted > 0)
        {
            DurableFile.SyncDirectory(root);
        }

        return deleted;
    }

    /// <summary>The interval between rewrite passes.</summary>
    public TimeSpan PassInterval => options.ArchivePassInterval;

    private static bool Covered(IReadOnlyDictionary<string, long> marks, ArchiveRow row) =>
        marks.TryGetValue(row.MemberId, out var through)
        && ErasureMark.Covers(through, new DateTimeOffset(DateTime.SpecifyKind(row.Timestamp, DateTimeKind.Utc)).ToUnixTimeMilliseconds());

    [LoggerMessage(Level = LogLevel.Information, Message = "Archive: erasure pass for {Erasures} erasures rewrote {Files} files under {Root}")]
    private partial void LogPass(int erasures, int files, string root);
}
