namespace ViewingHistory.Store.Rights;

/// <summary>
/// An erasure as the store records it: requested at server time T (<paramref name="RequestedAtMs"/>), covering the
/// member's events stamped at or before E (<paramref name="ErasedThroughMs"/>). <paramref name="FeedPosition"/> is the
/// last feed position before the erasure's null changes: the member's item-carrying changes up to it are gone from the
/// feed. <paramref name="CompletedAtMs"/> is set once every registered part is clean.
/// </summary>
public sealed record ErasureRecord(string MemberId, long RequestedAtMs, long ErasedThroughMs, long FeedPosition, long? CompletedAtMs);

/// <summary>An erasure and the parts not yet clean of it (empty once completed).</summary>
public sealed record ErasureStatus(ErasureRecord Erasure, IReadOnlyList<string> Pending);

/// <summary>The names of the parts the store itself knows.</summary>
public static class ErasureParts
{
    /// <summary>The store's own change feed (the outbox): registered by every store.</summary>
    public const string Feed = "feed";

    /// <summary>The shadow store of shadow mode.</summary>
    public const string Shadow = "shadow";

    /// <summary>The relay's stream.</summary>
    public const string Relay = "relay";

    /// <summary>An archive root: <c>archive:{node}:{path}</c>.</summary>
    public static string Archive(string node, string root) => $"archive:{node}:{root}";
}
