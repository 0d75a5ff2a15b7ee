namespace ViewingHistory.Store.Tests;

/// <summary>A clock the test sets: change rows get the times the test chose.</summary>
public sealed class ManualClock : TimeProvider
{
    public long NowMs { get; set; } = 1_800_000_000_000;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);
}
