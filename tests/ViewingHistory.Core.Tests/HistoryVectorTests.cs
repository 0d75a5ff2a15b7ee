using ViewingHistory.Core.History;
using ViewingHistory.Testing.Vectors;

namespace ViewingHistory.Core.Tests;

public sealed class HistoryVectorTests
{
    public static IEnumerable<object[]> Cases => HistoryVectors.Names;

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_reducer_gives_the_history_the_contract_defines(string name)
    {
        var vector = HistoryVectors.Get(name);

        var history = HistoryReducer.Compute(vector.Events, vector.Hides);

        AssertHistory(vector, history);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_reducer_gives_the_same_history_for_events_reversed_and_repeated(string name)
    {
        var vector = HistoryVectors.Get(name);
        var events = vector.Events.Reverse().Concat(vector.Events).Concat(vector.Events.Where((_, i) => i % 2 == 0));

        var history = HistoryReducer.Compute(events, vector.Hides);

        AssertHistory(vector, history);
    }

    internal static void AssertHistory(HistoryVectorCase vector, SortedDictionary<string, List<HistoryItem>> history)
    {
        Assert.Equal(vector.History.Keys.Order(StringComparer.Ordinal), history.Keys);
        foreach (var (member, expected) in vector.History)
        {
            Assert.Equal(expected, history[member].Select(HistoryVectors.ToExpected).ToList());
        }
    }
}
