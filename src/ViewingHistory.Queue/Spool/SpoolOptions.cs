namespace ViewingHistory.Queue.Spool;

/// <summary>How the spool in front of a shared queue behaves.</summary>
public sealed record SpoolOptions
{
    /// <summary>How long an ingest request waits on the shared queue before it spools instead.</summary>
    public TimeSpan PrimaryAttemptTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the forwarder looks at the spool when it is empty.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);
}
