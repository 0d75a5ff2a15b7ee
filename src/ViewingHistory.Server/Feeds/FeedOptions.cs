namespace ViewingHistory.Server.Feeds;

/// <summary>The <c>Feed</c> section: upkeep of the change feed (retention itself is <c>Store:ChangeRetention</c>).</summary>
public sealed record FeedOptions
{
    public const string Section = "Feed";

    /// <summary>How often changes older than the retention are pruned.</summary>
    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>With <c>Queue:Kind=jetstream</c>: relay the feed to a JetStream stream. Default true.</summary>
    public bool RelayEnabled { get; init; } = true;

    /// <summary>The stream the relay publishes to.</summary>
    public string RelayStream { get; init; } = "VH_CHANGES";

    /// <summary>Changes of member M are published on <c>{RelaySubjectPrefix}.T</c>, T the member id as a subject token (<see cref="SubjectToken"/>).</summary>
    public string RelaySubjectPrefix { get; init; } = "vh.changes";

    /// <summary>
    /// How long one publish may wait for the stream's acknowledgement before it counts as failed. A publish the server
    /// drops (an invalid subject, a permission it lacks) never gets an answer at all.
    /// </summary>
    public TimeSpan RelayPublishTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the relay waits before reading the feed again once it has caught up.</summary>
    public TimeSpan RelayPollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The stream's <c>Nats-Msg-Id</c> window: a change republished within it (a relay that crashed between publishing
    /// and saving its position, or two relays at once) is stored once.
    /// </summary>
    public TimeSpan RelayDuplicateWindow { get; init; } = TimeSpan.FromMinutes(10);
}
