namespace ViewingHistory.Server.Feeds;

/// <summary>
/// The <c>Feed</c> section: upkeep of the change feed (retention itself is <c>Store:ChangeRetention</c>). The relay's
/// stream settings (<c>Feed:RelayStream</c>, ...) belong to the engine that offers the stream
/// (<c>ViewingHistory.Queue.JetStream.JetStreamChangeSinkOptions</c>).
/// </summary>
internal sealed record FeedOptions
{
    public const string Section = "Feed";

    /// <summary>How often changes older than the retention are pruned.</summary>
    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Relay the feed to the queue engine's change stream where it has one (<c>Queue:Kind=jetstream</c>). Default true.</summary>
    public bool RelayEnabled { get; init; } = true;

    /// <summary>How long the relay waits before reading the feed again once it has caught up.</summary>
    public TimeSpan RelayPollInterval { get; init; } = TimeSpan.FromMilliseconds(200);
}
