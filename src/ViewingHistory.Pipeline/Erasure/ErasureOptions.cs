namespace ViewingHistory.Pipeline.Erasure;

/// <summary>The <c>Erasure</c> section: how soon the purge of an erasure reaches each copy of the member's data.</summary>
public sealed record ErasureOptions
{
    public const string Section = "Erasure";

    /// <summary>
    /// Files of an archive root written before the root learnt of an erasure are rewritten without the covered rows
    /// within this time (CONTRACT.md: default 1 hour). The root's rewrite pass runs every quarter of it, batching every
    /// erasure pending by then.
    /// </summary>
    public TimeSpan ArchiveWithin { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often the feed's outbox (and the shadow store, in shadow mode) is purged of pending erasures.</summary>
    public TimeSpan PurgeInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Outbox positions one purge transaction walks: small enough that no transaction holds the writer long.</summary>
    public int PositionsPerTransaction { get; init; } = 10_000;

    /// <summary>The interval of an archive root's rewrite pass.</summary>
    public TimeSpan ArchivePassInterval => ArchiveWithin / 4;
}
