using ViewingHistory.Queue.Embedded;

namespace ViewingHistory.Server.Configuration;

/// <summary>The <c>Queue</c> section: which durable queue carries accepted events.</summary>
public sealed record QueueOptions
{
    /// <summary><c>embedded</c> (default: a durable log in the data dir) or <c>jetstream</c>.</summary>
    public string Kind { get; init; } = "embedded";

    /// <summary>
    /// <c>embedded</c>: how often a consumer's acknowledged position is written to disk. After a crash at most this much
    /// acknowledged work is delivered again (the apply is idempotent); zero writes it on every acknowledgement.
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; } = EmbeddedQueueOptions.DefaultCheckpointInterval;

    /// <summary>NATS server URL(s), comma-separated, for <c>jetstream</c>.</summary>
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>JetStream stream replicas: 1, or 3 for durability against the loss of a node.</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>
    /// The JetStream stream of accepted batches; its subjects are <c>{StreamName}.&gt;</c> and its dead letters go to
    /// <c>{StreamName}_DLQ</c>. Every process of one deployment must use the same name; two deployments sharing a
    /// NATS cluster use different ones.
    /// </summary>
    public string StreamName { get; init; } = "VH_EVENTS";

    /// <summary>
    /// How long JetStream keeps batches (acknowledgement frees nothing: other consumers may still read them). Must exceed
    /// the longest processor outage to survive, or unprocessed batches expire.
    /// </summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Byte limit of the JetStream stream (-1: none). When reached, ingest spools, then answers 503; nothing is dropped.</summary>
    public long StreamMaxBytes { get; init; } = -1;

    /// <summary>Time a processor has to acknowledge a delivery before JetStream redelivers it to any processor.</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// JetStream redelivery delays after unacknowledged deliveries 1, 2, ... (the last repeats); the first is the
    /// effective ack wait, so it must not be below <see cref="AckWait"/>. Empty: 30 s, 60 s, 120 s, 300 s.
    /// </summary>
    public IReadOnlyList<TimeSpan> Backoff { get; init; } = [];

    /// <summary>Deliveries of a batch before JetStream gives up on it; processors dead-letter a failing batch on the last one.</summary>
    public int MaxDeliver { get; init; } = 20;

    /// <summary>Batches handed out and not yet acknowledged across all processors: bounds in-flight work and what a crash redelivers.</summary>
    public int MaxAckPending { get; init; } = 1_000;

    /// <summary>Maximum size of the embedded log, in bytes.</summary>
    public long MaxBytes { get; init; } = 8L * 1024 * 1024 * 1024;

    /// <summary>Maximum size of the local spool an ingest node keeps in front of JetStream; when full, ingest answers 503.</summary>
    public long SpoolMaxBytes { get; init; } = 1L * 1024 * 1024 * 1024;
}
