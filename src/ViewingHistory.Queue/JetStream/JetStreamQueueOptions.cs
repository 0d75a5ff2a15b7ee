using Microsoft.Extensions.Configuration;

namespace ViewingHistory.Queue.JetStream;

/// <summary>
/// Settings of <see cref="JetStreamEventQueue"/>. Each value is chosen on purpose (DESIGN.md, JetStream traps);
/// change them knowing what they trade. The server binds them from the <c>Queue</c> section
/// (<see cref="JetStreamQueueHostingExtensions.AddJetStreamQueue"/>), so every default here is the server's default too.
/// </summary>
public sealed record JetStreamQueueOptions
{
    /// <summary>The configuration section the server binds these options from.</summary>
    public const string Section = "Queue";

    /// <summary>Server URL, or a comma-separated list of the cluster's URLs (the client picks one and fails over).</summary>
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>Name of the client connection, as the server's monitoring shows it.</summary>
    public string ConnectionName { get; init; } = "viewing-history";

    /// <summary>
    /// The stream of accepted batches; its subjects are <c>{StreamName}.&gt;</c> (batches on <c>{StreamName}.batch</c>)
    /// and its dead letters go to the stream <c>{StreamName}_DLQ</c>. Every process of one deployment must use the same
    /// name; two deployments sharing a NATS cluster use different ones.
    /// </summary>
    public string StreamName { get; init; } = "VH_EVENTS";

    /// <summary>1 (single node: survives a process crash) or 3 (a cluster: survives the loss of a machine).</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>
    /// S, the streams accepted batches are sharded into by <c>MemberHash.Partition(memberId, S)</c>, 1..64. Stream 0 is
    /// <see cref="StreamName"/> itself; stream i &gt; 0 is <c>{StreamName}_{i}</c>, subjects <c>{StreamName}_{i}.&gt;</c>.
    /// Each stream has its own leader (placed by JetStream), so the queue's rate grows with S. 1 (the default) is one
    /// stream, exactly as before streams existed. S may change between restarts (<see cref="StreamLayout"/>).
    /// </summary>
    public int Streams { get; init; } = 1;

    /// <summary>
    /// The streams this node's consumers read, as a comma-separated list of indexes in 0..S-1 (e.g. <c>0,2</c>); null or
    /// empty: all S. Streams past S that still exist (after S was lowered) are read by every node whatever this says,
    /// so that nothing is stranded in them.
    /// </summary>
    public string? ConsumeStreams { get; init; }

    /// <summary>
    /// Byte limit of the stream; -1: none. When a limit is reached, publishes are refused (DiscardNew) and ingest
    /// answers 503, rather than silently dropping acknowledged events that no processor has seen yet (DiscardOld).
    /// The setting is <c>Queue:StreamMaxBytes</c>: <c>Queue:MaxBytes</c> is the embedded log's bound.
    /// </summary>
    [ConfigurationKeyName("StreamMaxBytes")]
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
    /// Redelivery delays after an unacknowledged delivery n (the last one repeats). Null: <see cref="DefaultBackoff"/>.
    /// Empty: <see cref="AckWait"/> every time. The server uses the first value as the ack wait, so it must not be
    /// shorter than <see cref="AckWait"/>, and there must be fewer values than <see cref="MaxDeliver"/>.
    /// </summary>
    /// <remarks>
    /// Null rather than the default list: the configuration binder appends configured items to a list it finds, so a
    /// default list would make <c>Queue:Backoff:0=5s</c> a fifth delay instead of the only one.
    /// </remarks>
    public IReadOnlyList<TimeSpan>? Backoff { get; init; }

    /// <summary>The redelivery delays when <see cref="Backoff"/> is null: 30 s, 60 s, 120 s, 300 s.</summary>
    public static IReadOnlyList<TimeSpan> DefaultBackoff { get; } =
        [TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(300)];

    /// <summary>The redelivery delays in force.</summary>
    public IReadOnlyList<TimeSpan> EffectiveBackoff => Backoff ?? DefaultBackoff;

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
        if (FindProblem() is { } problem)
        {
            throw new ArgumentException(problem);
        }
    }

    /// <summary>What contradicts the server's rules, or null (checked at start by the server, and by the queue itself).</summary>
    public string? FindProblem()
    {
        var backoff = EffectiveBackoff;
        if (string.IsNullOrWhiteSpace(Url))
        {
            return "Url is required.";
        }

        if (Replicas is not (1 or 3))
        {
            return "Replicas must be 1 or 3.";
        }

        if (Streams is < 1 or > StreamLayout.MaxStreams)
        {
            return $"Streams must be in 1..{StreamLayout.MaxStreams} (it is {Streams}).";
        }

        if (StreamLayout.ParseConsumeStreams(ConsumeStreams, Streams, out var consumeProblem) is null)
        {
            return consumeProblem;
        }

        if (MaxDeliver < 1 || MaxAckPending < 1)
        {
            return "MaxDeliver and MaxAckPending must be positive.";
        }

        if (backoff.Count > 0 && (backoff.Count >= MaxDeliver || backoff[0] < AckWait))
        {
            return "Backoff needs fewer values than MaxDeliver, and its first value (the server's ack wait) not below AckWait.";
        }

        if (DuplicateWindow <= TimeSpan.Zero || (MaxAge > TimeSpan.Zero && DuplicateWindow > MaxAge))
        {
            return "DuplicateWindow must be positive and not exceed MaxAge.";
        }

        return null;
    }

    /// <summary>Stream <paramref name="index"/>'s name: <see cref="StreamName"/> for 0, <c>{StreamName}_{index}</c> otherwise.</summary>
    public string StreamNameOf(int index) => StreamLayout.NameOf(StreamName, index);

    /// <summary>The server-side durable consumer that <see cref="IEventQueue.OpenConsumer"/>(<paramref name="name"/>) uses on every stream.</summary>
    public static string DurableNameOf(string name) => "vh-" + name;

    internal string Subjects => StreamName + ".>";

    internal string BatchSubject => StreamName + ".batch";

    internal string BatchSubjectOf(int index) => StreamNameOf(index) + ".batch";

    internal string DlqStream => StreamName + "_DLQ";

    internal string DlqSubject => DlqStream + ".entry";
}
