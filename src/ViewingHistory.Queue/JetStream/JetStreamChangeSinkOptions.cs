namespace ViewingHistory.Queue.JetStream;

/// <summary>The relay's JetStream stream, bound from the <c>Feed</c> section (<c>Feed:RelayStream</c>, ...).</summary>
public sealed record JetStreamChangeSinkOptions
{
    /// <summary>The configuration section the server binds these options from.</summary>
    public const string Section = "Feed";

    /// <summary>The stream the relay publishes to; its position is kept in the KV bucket <c>{RelayStream}_RELAY</c>.</summary>
    public string RelayStream { get; init; } = "VH_CHANGES";

    /// <summary>Changes of member M are published on <c>{RelaySubjectPrefix}.T</c>, T the member id as a subject token (<see cref="SubjectToken"/>).</summary>
    public string RelaySubjectPrefix { get; init; } = "vh.changes";

    /// <summary>
    /// How long one publish may wait for the stream's acknowledgement before it counts as failed. A publish the server
    /// drops (an invalid subject, a permission it lacks) never gets an answer at all.
    /// </summary>
    public TimeSpan RelayPublishTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The stream's <c>Nats-Msg-Id</c> window: a change republished within it (a relay that crashed between publishing
    /// and saving its position, or two relays at once) is stored once.
    /// </summary>
    public TimeSpan RelayDuplicateWindow { get; init; } = TimeSpan.FromMinutes(10);
}
