using ViewingHistory.Core.History;
using ViewingHistory.Testing.Vectors;

namespace ViewingHistory.Core.Tests;

/// <summary>CONTRACT.md "Member data rights": an erasure mark drops the member's covered events (timestamp ≤ E).</summary>
public sealed class ErasureVectorTests
{
    public static IEnumerable<object[]> Cases => ErasureVectors.Names;

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_reducer_drops_what_the_erasure_covers(string name)
    {
        var vector = ErasureVectors.Get(name);

        var history = HistoryReducer.Compute(vector.Events, vector.Hides, vector.Erasures);

        HistoryVectorTests.AssertHistory(vector, history);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_reducer_gives_the_same_history_for_events_and_marks_reversed_and_repeated(string name)
    {
        var vector = ErasureVectors.Get(name);
        var events = vector.Events.Reverse().Concat(vector.Events).Concat(vector.Events.Where((_, i) => i % 2 == 0));
        var erasures = vector.Erasures.Reverse().Concat(vector.Erasures);

        var history = HistoryReducer.Compute(events, vector.Hides.Reverse(), erasures);

        HistoryVectorTests.AssertHistory(vector, history);
    }

    [Fact]
    public void E_is_five_minutes_after_the_request()
    {
        Assert.Equal(1_000_300_000, ErasureMark.ThroughFor(1_000_000_000));
        Assert.True(ErasureMark.Covers(1_000, 1_000));
        Assert.False(ErasureMark.Covers(1_000, 1_001));
    }

    [Fact]
    public void A_session_keeps_its_earliest_timestamp_and_its_heads_device()
    {
        var late = SessionState.Of(new Core.Events.PlaybackEvent("b", "m", "t", "s", 3, Core.Events.PlaybackEventType.Progress, 50, 100, 2_000, "tv"));
        var early = SessionState.Of(new Core.Events.PlaybackEvent("a", "m", "t", "s", 1, Core.Events.PlaybackEventType.Start, 0, 100, 1_000, "phone"));
        var merged = SessionState.Merge(late, early);

        Assert.Equal(1_000, merged.StartedAtMs);
        Assert.Equal(2_000, merged.LastAtMs);
        Assert.Equal("tv", merged.HeadDevice);
        Assert.Null(SessionState.Merge(merged, merged with { StartedAtMs = null }).StartedAtMs);
    }
}
