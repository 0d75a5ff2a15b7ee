namespace ViewingHistory.Store.Sharding;

/// <summary>
/// Where a store sits among the shards of a deployment: shard <paramref name="Index"/> of <paramref name="Count"/>. Each
/// PostgreSQL shard records its placement when the schema is first made, and refuses to start under another one: with
/// another count, members would be looked up on shards that do not hold them (their data not lost, but unreachable, and
/// new events would build a second history elsewhere). README "Moving from one shard to two" says what an operator does.
/// </summary>
public readonly record struct ShardPlacement(int Index, int Count)
{
    /// <summary>The one-shard form (<c>Store:ConnectionString</c>).</summary>
    public static ShardPlacement Single { get; } = new(0, 1);

    public override string ToString() => $"shard {Index} of {Count}";
}
