using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;

namespace ViewingHistory.Core.Tests;

/// <summary>
/// DESIGN.md principle 2: the history is a pure function of the event set. Small alphabets of ids, seqs and
/// timestamps force the ties the contract breaks (seq, then timestamp, then eventId; lastAt, then sessionId).
/// </summary>
public sealed class ReducerProperties
{
    private static readonly Gen<PlaybackEvent> EventGen =
        from member in Gen.Elements("m1", "m2")
        from title in Gen.Elements("t1", "t2", "t3")
        from session in Gen.Elements("s1", "s2", "s3")
        from seq in Gen.Choose(0, 4)
        from ts in Gen.Choose(0, 6)
        from position in Gen.Choose(0, 130)
        from duration in Gen.Elements(100, 120)
        from id in Gen.Choose(0, 1_000_000)
        select new PlaybackEvent($"e{id}", member, title, session, seq, PlaybackEventType.Progress, position, duration, 1_700_000_000_000 + (ts * 1000), null);

    private static readonly Gen<HideMark[]> HidesGen = Gen.ArrayOf(
        from member in Gen.Elements("m1", "m2")
        from title in Gen.Elements<string?>(null, "t1", "t2")
        from at in Gen.Choose(0, 6)
        select new HideMark(member, title, 1_700_000_000_000 + (at * 1000) + 500));

    // Erasure marks fall on whole seconds of the same range, so some events sit exactly at E (covered).
    private static readonly Gen<ErasureMark[]> ErasuresGen = Gen.ArrayOf(
        from member in Gen.Elements("m1", "m2")
        from through in Gen.Choose(0, 6)
        select new ErasureMark(member, 1_700_000_000_000 + (through * 1000))).Select(a => a.Take(2).ToArray());

    private static readonly Gen<(PlaybackEvent[] Events, HideMark[] Hides, ErasureMark[] Erasures, int Seed)> Scenario =
        from events in Gen.ArrayOf(EventGen)
        from hides in HidesGen
        from erasures in ErasuresGen
        from seed in Gen.Choose(0, int.MaxValue - 1)
        select (DistinctIds(events), hides, erasures, seed);

    [Property(MaxTest = 300)]
    public Property Any_permutation_with_duplicates_gives_the_same_history() =>
        Prop.ForAll(Scenario.ToArbitrary(), s =>
        {
            var random = new Random(s.Seed);
            var shuffled = s.Events.Concat(s.Events.Where(_ => random.Next(3) == 0)).OrderBy(_ => random.Next()).ToArray();

            return Same(HistoryReducer.Compute(s.Events, s.Hides), HistoryReducer.Compute(shuffled, s.Hides));
        });

    [Property(MaxTest = 300)]
    public Property Any_order_and_duplication_of_events_hides_and_erasures_gives_the_same_history() =>
        Prop.ForAll(Scenario.ToArbitrary(), s =>
        {
            var random = new Random(s.Seed);
            var events = s.Events.Concat(s.Events.Where(_ => random.Next(3) == 0)).OrderBy(_ => random.Next()).ToArray();
            var hides = s.Hides.Concat(s.Hides.Where(_ => random.Next(2) == 0)).OrderBy(_ => random.Next()).ToArray();
            var erasures = s.Erasures.Concat(s.Erasures.Where(_ => random.Next(2) == 0)).OrderBy(_ => random.Next()).ToArray();

            return Same(HistoryReducer.Compute(s.Events, s.Hides, s.Erasures), HistoryReducer.Compute(events, hides, erasures));
        });

    [Property(MaxTest = 300)]
    public Property An_erasure_gives_the_history_of_the_uncovered_events_alone() =>
        Prop.ForAll(Scenario.ToArbitrary(), s =>
        {
            var marks = ErasureMark.InForce(s.Erasures);
            bool Covered(string member, long at) => marks.TryGetValue(member, out var e) && at <= e;
            var uncovered = s.Events.Where(e => !Covered(e.MemberId, e.TimestampMs));
            var laterHides = s.Hides.Where(h => !Covered(h.MemberId, h.AtMs));

            return Same(HistoryReducer.Compute(uncovered, laterHides), HistoryReducer.Compute(s.Events, s.Hides, s.Erasures));
        });

    [Property(MaxTest = 300)]
    public Property Batches_reduced_against_the_marks_and_merged_in_any_order_give_the_erased_history() =>
        Prop.ForAll(Scenario.ToArbitrary(), s =>
        {
            // What every path does: each batch is reduced against the marks in force, then merged into the state.
            var random = new Random(s.Seed);
            var marks = ErasureMark.InForce(s.Erasures);
            var state = new Dictionary<SessionKey, SessionState>();
            var remaining = s.Events.Concat(s.Events.Where(_ => random.Next(3) == 0)).OrderBy(_ => random.Next()).ToList();
            while (remaining.Count > 0)
            {
                var take = random.Next(1, remaining.Count + 1);
                foreach (var (key, value) in BatchReducer.ReduceSessions(remaining.Take(take), marks))
                {
                    state[key] = state.TryGetValue(key, out var existing) ? SessionState.Merge(existing, value) : value;
                }

                remaining.RemoveRange(0, take);
            }

            var hides = s.Hides.Where(h => !(marks.TryGetValue(h.MemberId, out var e) && h.AtMs <= e)).ToArray();
            return Same(HistoryReducer.Compute(s.Events, s.Hides, s.Erasures), FromSessions(state, hides));
        });

    [Property(MaxTest = 300)]
    public Property Any_split_into_batches_applied_in_turn_gives_the_same_history_as_one_batch() =>
        Prop.ForAll(Scenario.ToArbitrary(), s =>
        {
            var random = new Random(s.Seed);
            var state = new Dictionary<SessionKey, SessionState>();
            var remaining = s.Events.OrderBy(_ => random.Next()).ToList();
            while (remaining.Count > 0)
            {
                var take = random.Next(1, remaining.Count + 1);
                foreach (var (key, value) in BatchReducer.ReduceSessions(remaining.Take(take)))
                {
                    state[key] = state.TryGetValue(key, out var existing) ? SessionState.Merge(existing, value) : value;
                }

                remaining.RemoveRange(0, take);
            }

            return Same(HistoryReducer.Compute(s.Events, s.Hides), FromSessions(state, s.Hides));
        });

    [Property(MaxTest = 300)]
    public Property Session_merge_is_commutative_associative_and_idempotent() =>
        Prop.ForAll(Gen.Three(EventGen.Select(e => e with { MemberId = "m", TitleId = "t", SessionId = "s" })).ToArbitrary(), t =>
        {
            var (a, b, c) = (SessionState.Of(t.Item1), SessionState.Of(t.Item2), SessionState.Of(t.Item3));
            return SessionState.Merge(a, b) == SessionState.Merge(b, a)
                && SessionState.Merge(SessionState.Merge(a, b), c) == SessionState.Merge(a, SessionState.Merge(b, c))
                && SessionState.Merge(a, a) == a;
        });

    private static SortedDictionary<string, List<HistoryItem>> FromSessions(Dictionary<SessionKey, SessionState> sessions, HideMark[] hides)
    {
        var byItem = sessions.GroupBy(kv => kv.Key.Item, kv => kv.Value);
        var result = new SortedDictionary<string, List<HistoryItem>>(StringComparer.Ordinal);
        foreach (var group in byItem)
        {
            long? memberMark = hides.Where(h => h.MemberId == group.Key.MemberId && h.TitleId is null).Select(h => (long?)h.AtMs).Max();
            long? titleMark = hides.Where(h => h.MemberId == group.Key.MemberId && h.TitleId == group.Key.TitleId).Select(h => (long?)h.AtMs).Max();
            var item = ItemComputer.Compute(group.Key.TitleId, group, ItemComputer.EffectiveMark(memberMark, titleMark));
            if (item is not null)
            {
                if (!result.TryGetValue(group.Key.MemberId, out var list))
                {
                    result[group.Key.MemberId] = list = [];
                }

                list.Add(item);
            }
        }

        foreach (var list in result.Values)
        {
            list.Sort(HistoryOrder.Instance);
        }

        return result;
    }

    private static PlaybackEvent[] DistinctIds(PlaybackEvent[] events) =>
        events.Select((e, i) => e with { EventId = $"{e.EventId}-{i}" }).ToArray();

    private static bool Same(SortedDictionary<string, List<HistoryItem>> x, SortedDictionary<string, List<HistoryItem>> y) =>
        x.Keys.SequenceEqual(y.Keys) && x.All(kv => kv.Value.SequenceEqual(y[kv.Key]));
}
