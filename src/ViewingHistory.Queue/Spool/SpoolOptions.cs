using ViewingHistory.Queue.Embedded;

namespace ViewingHistory.Queue.Spool;

/// <summary>How the spool in front of a shared queue behaves, and the shape of its local log.</summary>
public sealed record SpoolOptions
{
    /// <summary>
    /// Bytes the spool's log may retain; when it is full, ingest answers 503. Default 1 GiB (the server's
    /// <c>Queue:SpoolMaxBytes</c>).
    /// </summary>
    public long MaxBytes { get; init; } = 1L * 1024 * 1024 * 1024;

    /// <summary>How long an ingest request waits on the shared queue before it spools instead.</summary>
    public TimeSpan PrimaryAttemptTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the forwarder looks at the spool when it is empty.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Log page size in bits. The spool's bound counts the bytes the log retains, and truncation frees them a page at a
    /// time below the forwarder: with the main queue's 4 MiB pages a spool bound of a few MiB would stay full after
    /// being forwarded. 1 MiB pages still hold the largest batch (500 events of 64-char ids encode to about 200 KB).
    /// </summary>
    public int PageSizeBits { get; init; } = 20;

    /// <summary>In-memory part of the spool's log, in bits: 8 MiB.</summary>
    public int MemorySizeBits { get; init; } = 23;

    /// <summary>Size of one spool file on disk, in bits: 16 MiB.</summary>
    public int SegmentSizeBits { get; init; } = 24;

    /// <summary>How often the spool's log is truncated below the forwarder: every second frees the space soon after the queue is back.</summary>
    public TimeSpan TruncateInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The options of the spool's embedded log in <paramref name="directory"/>.</summary>
    public EmbeddedQueueOptions LogOptions(string directory) => new()
    {
        Directory = directory,
        MaxBytes = MaxBytes,
        PageSizeBits = PageSizeBits,
        MemorySizeBits = MemorySizeBits,
        SegmentSizeBits = SegmentSizeBits,
        TruncateInterval = TruncateInterval,
    };
}
