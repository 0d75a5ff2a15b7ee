namespace ViewingHistory.Queue.Embedded;

/// <summary>Options of <see cref="EmbeddedEventQueue"/>. Sizes are powers of two given in bits, as FasterLog takes them.</summary>
/// <remarks>
/// The server binds it from the <c>Queue</c> section (<see cref="EmbeddedQueueHostingExtensions.AddEmbeddedQueue"/>), so
/// every default here is the server's default too.
/// </remarks>
public sealed record EmbeddedQueueOptions
{
    /// <summary>The configuration section the server binds these options from.</summary>
    public const string Section = "Queue";

    /// <summary>Directory holding the log, the consumer checkpoints and the dead letters (e.g. <c>&lt;DataDir&gt;/queue</c>).</summary>
    public required string Directory { get; init; }

    /// <summary>
    /// Bytes the log may retain (appended and not yet truncated); beyond it appends fail with
    /// <see cref="QueueUnavailableException"/>. Null: no bound. Default 8 GiB (<c>Queue:MaxBytes</c>).
    /// </summary>
    public long? MaxBytes { get; init; } = 8L * 1024 * 1024 * 1024;

    /// <summary>Appends fail with <see cref="QueueUnavailableException"/> while the disk has less free space than this, before FasterLog hits ENOSPC and faults for good.</summary>
    public long MinFreeDiskBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Dead letters that failed longer ago than this are removed (checked with each truncation): they hold members'
    /// events, which an erasure cannot rewrite (CONTRACT.md "Member data rights"). Null: kept until replayed or purged.
    /// </summary>
    public TimeSpan? DeadLetterMaxAge { get; init; }

    /// <summary>How often the log is truncated below the slowest consumer's persisted position.</summary>
    public TimeSpan TruncateInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often a consumer's acknowledged position is written to disk (an atomic file write with two fsyncs). An ack
    /// moves the position in memory at once; after a crash at most this much acknowledged work is delivered again,
    /// which consumers tolerate (the processors' apply is idempotent). Zero writes the position on every ack.
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often free disk space is checked.</summary>
    public TimeSpan DiskCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// FasterLog's FastCommitMode: a commit completes once its commit record is written into the log (O_SYNC), and the
    /// metadata file follows off the critical path; recovery scans forward from the last metadata file. Off: a commit
    /// completes once its metadata file is written (O_SYNC too). Both are durable; see EmbeddedEventQueue's remarks.
    /// </summary>
    public bool FastCommitMode { get; init; } = true;

    /// <summary>
    /// Log page size; one entry (an encoded batch) must fit in a page. 4 MiB by default. The server takes 18-30: the
    /// contract's largest batch (500 events of 64-character ids and 32-character devices) encodes to under 200 KB.
    /// </summary>
    public int PageSizeBits { get; init; } = 22;

    /// <summary>In-memory part of the log, at least a page (the server checks at start). 32 MiB by default.</summary>
    public int MemorySizeBits { get; init; } = 25;

    /// <summary>
    /// Size of one log file on disk, at least a page (the server checks at start); truncation frees space a whole
    /// segment at a time. 256 MiB by default.
    /// </summary>
    public int SegmentSizeBits { get; init; } = 28;
}
