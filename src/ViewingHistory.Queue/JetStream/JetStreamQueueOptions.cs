namespace ViewingHistory.Queue.JetStream;

/// <summary>
/// Settings of <see cref="JetStreamEventQueue"/>. Each value is chosen on purpose (DESIGN.md, JetStream traps);
/// change them knowing what they trade.
/// </summary>
public sealed record JetStreamQueueOptions
{
    /// <summary>Server URL, or a comma-separated list of the cluster's URLs (the client picks one and fails over).</summary>
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>Name of the client connection, as the server's monitoring shows it.</summary>
    public string ConnectionName { get; init; } = "viewing-history";

    /// <summary>The stream of accepted batches.</summary>
    public string StreamName { get; init; } = "VH_EVENTS";

    /// <summary>
    /// Subjects of the stream are <c>{SubjectPrefix}.&gt;</c>; batches are published on <c>{SubjectPrefix}.batch</c>.
    /// Null: the stream name. Streams may not overlap in subjects, so each stream needs its own prefix.
    /// </summary>
    public string? SubjectPrefix { get; init; }

    /// <summary>The dead-letter stream. Null: <c>{StreamName}_DLQ</c>, with subjects <c>{that name}.&gt;</c>.</summary>
    public string? DeadLetterStreamName { get; init; }

    /// <summary>1 (single node: survives a process crash) or 3 (a cluster: survives the loss of a machine).</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>
    /// Byte limit of the stream; -1: none. When a limit is reached, publishes are refused (DiscardNew) and ingest
    /// answers 503, rather than silently dropping acknowledged events that no processor has seen yet (DiscardOld).
    /// </summary>
    public long MaxBytes { get; init; } = -1;

    /// <summary>Message (batch) limit of the stream; -1: none. Same refusal as <see cref="MaxBytes"/>.</summary>
    public long MaxMsgs { get; init; } = -1;

    /// <summary>
    /// How long batches are retained. Limits retention keeps messages after every consumer acknowledged them (so a
    /// later consumer such as the archive can read them), so age is what frees space. It must exceed the longest
    /// processor outage you intend to survive: older, unprocessed batches would expire.
    /// </summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How long the server remembers a <c>Nats-Msg-Id</c>: a batch resent within it is stored once.</summary>
    public TimeSpan DuplicateWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Time a consumer has to acknowledge a delivery before it is redelivered to any instance. Long batches send
    /// in-progress acks (<see cref="IQueueConsumer.KeepAliveAsync"/>) to extend it.
    /// </summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Deliveries of a message before the server stops redelivering it, silently. Consumers see
    /// <see cref="QueueEntry.DeliveryCount"/> and must dead-letter an entry on its last attempt.
    /// </summary>
    public int MaxDeliver { get; init; } = 20;

    /// <summary>
    /// Redelivery delays after an unacknowledged delivery n (the last one repeats). Empty: <see cref="AckWait"/>
    /// every time. The server uses the first value as the ack wait, so it must not be shorter than
    /// <see cref="AckWait"/>, and there must be fewer values than <see cref="MaxDeliver"/>.
    /// </summary>
    public IReadOnlyList<TimeSpan> Backoff { get; init; } =
        [TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(300)];

    /// <summary>
    /// Messages (batches) handed out and not yet acknowledged, across every instance of one consumer. Bounds the
    /// work redelivered after a crash and the memory of in-flight batches (≈ 100 events a message).
    /// </summary>
    public int MaxAckPending { get; init; } = 1_000;

    /// <summary>How long one publish attempt may wait for the server's acknowledgement.</summary>
    public TimeSpan PublishAttemptTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Total time an append keeps retrying transient failures (no responders, no stream leader during a cluster
    /// failover, timeouts) before it gives up with <see cref="QueueUnavailableException"/>. A JetStream leader
    /// election takes a few seconds; the budget must cover it for ingest to ride over a node loss.
    /// </summary>
    public TimeSpan AppendRetryBudget { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often consumers refresh <see cref="IQueueConsumer.LagEvents"/> and the queue its dead-letter count.</summary>
    public TimeSpan StatsRefreshInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws when the settings contradict each other or the server's rules.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Url))
        {
            throw new ArgumentException("Url is required.");
        }

        if (Replicas is not (1 or 3))
        {
            throw new ArgumentException("Replicas must be 1 or 3.");
        }

        if (MaxDeliver < 1 || MaxAckPending < 1)
        {
            throw new ArgumentException("MaxDeliver and MaxAckPending must be positive.");
        }

        if (Backoff.Count > 0 && (Backoff.Count >= MaxDeliver || Backoff[0] < AckWait))
        {
            throw new ArgumentException("Backoff needs fewer values than MaxDeliver, and its first value (the server's ack wait) not below AckWait.");
        }

        if (DuplicateWindow <= TimeSpan.Zero || (MaxAge > TimeSpan.Zero && DuplicateWindow > MaxAge))
        {
            throw new ArgumentException("DuplicateWindow must be positive and not exceed MaxAge.");
        }
    }

    internal string Subjects => (SubjectPrefix ?? StreamName) + ".>";

    internal string BatchSubject => (SubjectPrefix ?? StreamName) + ".batch";

    internal string DlqStream => DeadLetterStreamName ?? StreamName + "_DLQ";

    internal string DlqSubject => DlqStream + ".entry";
}
