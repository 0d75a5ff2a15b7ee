namespace ViewingHistory.Server.Configuration;

/// <summary>The <c>Queue</c> section: which durable queue carries accepted events.</summary>
public sealed record QueueOptions
{
    /// <summary><c>embedded</c> (default: a durable log in the data dir) or <c>jetstream</c>.</summary>
    public string Kind { get; init; } = "embedded";

    /// <summary>NATS server URL(s), comma-separated, for <c>jetstream</c>.</summary>
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>JetStream stream replicas: 1, or 3 for durability against the loss of a node.</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>Maximum size of the embedded log, in bytes.</summary>
    public long MaxBytes { get; init; } = 8L * 1024 * 1024 * 1024;

    /// <summary>Maximum size of the local spool an ingest node keeps in front of JetStream; when full, ingest answers 503.</summary>
    public long SpoolMaxBytes { get; init; } = 1L * 1024 * 1024 * 1024;
}
