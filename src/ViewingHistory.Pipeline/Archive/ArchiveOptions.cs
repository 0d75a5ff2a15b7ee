using System.ComponentModel.DataAnnotations;

namespace ViewingHistory.Pipeline.Archive;

/// <summary>The <c>Archive</c> configuration section: the Parquet archive of raw accepted events.</summary>
public sealed record ArchiveOptions
{
    public const string Section = "Archive";

    /// <summary>Runs the archive consumer on processor nodes. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Root of the archive; null: <c>&lt;DataDir&gt;/archive</c>.</summary>
    public string? Path { get; init; }

    /// <summary>Buffered events are written (and their deliveries acknowledged) at most this long after the first arrived.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>...or as soon as this many events are buffered. Also the most rows one written file holds.</summary>
    [Range(1, 10_000_000)]
    public int MaxRowsPerFile { get; init; } = 100_000;

    /// <summary>
    /// The nice value (Linux CPU priority, 0-19) of the archive's thread (<see cref="Processing.BackgroundScheduler"/>).
    /// 10 by default: when the cores are wanted by ingest or the history processors, the archive yields them and lags
    /// (the queue keeps its events; <c>vh_archive_lag_events</c>), and while they are free it runs as fast as at 0.
    /// Unprivileged, a thread's priority cannot be raised back: a lower value takes effect at the next start.
    /// </summary>
    [Range(0, 19)]
    public int Nice { get; init; } = 10;

    /// <summary>How often the small files of each hour are merged.</summary>
    public TimeSpan CompactInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Files smaller than this are "small": an hour with two or more of them is compacted.</summary>
    [Range(1, long.MaxValue)]
    public long SmallFileBytes { get; init; } = 32L << 20;

    /// <summary>
    /// The most rows a merged file holds; beyond it an hour's small files become several merged files. Compaction holds
    /// these rows in memory (a few hundred bytes each), so this also bounds its memory.
    /// </summary>
    [Range(1, 100_000_000)]
    public int MaxRowsPerCompactedFile { get; init; } = 500_000;

    /// <summary>
    /// Whole <c>date=</c> partitions whose every event is older than this are deleted (checked at each erasure pass);
    /// null keeps them until an operator deletes them. The feed's counterpart is <c>Store:ChangeRetention</c>.
    /// </summary>
    public TimeSpan? Retention { get; init; }
}
