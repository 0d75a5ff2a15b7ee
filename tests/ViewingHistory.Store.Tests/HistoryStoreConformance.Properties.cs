using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using ViewingHistory.Testing.Vectors;
using static ViewingHistory.Store.Tests.Events;

namespace ViewingHistory.Store.Tests;

public abstract partial class HistoryStoreConformance
{
    [Theory]
    [MemberData(nameof(VectorNames))]
    public async Task Every_shared_vector_reads_back_as_its_history_whatever_the_order_duplication_and_batching(string name)
    {
        var vector = HistoryVectors.Get(name);
        var members = vector.Events.Select(e => e.MemberId).Concat(vector.History.Keys).Concat(vector.Hides.Select(h => h.MemberId))
            .Distinct(StringComparer.Ordinal).ToList();
        var random = new Random(name.Length);
        var batches = ShuffledBatches(random, vector.Events);

        // Hides go in at random points between batches: a mark is a fact with its own time, not an event in order.
        var hidesAt = vector.Hides.ToLookup(_ => random.Next(batches.Count + 1));
        for (var i = 0; i <= batches.Count; i++)
        {
            foreach (var hide in hidesAt[i])
            {
                await HideAsync(hide);
            }

            if (i < batches.Count)
            {
                await ApplyAsync(batches[i]);
            }
        }

        foreach (var member in members)
        {
            var expected = vector.History.TryGetValue(member, out var items) ? items : [];
            var actual = await ReadAllAsync(member, 2);
            Assert.Equal(expected, actual.Select(HistoryVectors.ToExpected));
        }

        await AssertHistoryAsync(vector.Events, vector.Hides, members);
        await AssertFeedFoldEqualsReadsAsync(members);
    }

    public static IEnumerable<object[]> VectorNames() => HistoryVectors.Names;

    [Fact]
    public async Task Random_event_sets_in_random_order_duplication_and_batches_give_the_reference_history()
    {
        var members = new List<string>();
        for (var seed = 1; seed <= 20; seed++)
        {
            var random = new Random(seed);
            var prefix = $"r{seed}";
            var events = RandomSet(random, prefix, random.Next(1, 80));
            var hides = seed % 2 == 0 ? RandomHides(random, prefix, random.Next(1, 4)) : [];
            var batches = ShuffledBatches(random, events);
            var hidesAt = hides.ToLookup(_ => random.Next(batches.Count + 1));
            for (var i = 0; i <= batches.Count; i++)
            {
                foreach (var hide in hidesAt[i])
                {
                    await HideAsync(hide);
                }

                if (i < batches.Count)
                {
                    await ApplyAsync(batches[i]);
                }
            }

            var seedMembers = Enumerable.Range(0, 3).Select(m => $"{prefix}m{m}").ToList();
            members.AddRange(seedMembers);
            await AssertHistoryAsync(events, hides, seedMembers);
        }

        await AssertFeedFoldEqualsReadsAsync(members);
    }

    [Fact]
    public async Task Applying_the_same_sessions_in_one_batch_or_one_by_one_gives_the_same_history()
    {
        var random = new Random(7);
        var events = RandomSet(random, "x", 60, members: 1);
        foreach (var e in events.OrderBy(_ => random.Next()))
        {
            await ApplyAsync(e);
        }

        var oneByOne = await ReadAllAsync("xm0");
        var reference = HistoryReducer.Compute(events, [])["xm0"];
        Assert.Equal(reference, oneByOne);

        // The whole set once more, as a single batch: nothing may move.
        Assert.Equal(new ApplyResult(0, 0), await ApplyAsync(events));
        Assert.Equal(reference, await ReadAllAsync("xm0"));
    }
}
