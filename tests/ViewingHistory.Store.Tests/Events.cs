using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;

namespace ViewingHistory.Store.Tests;

/// <summary>Builds events and random event sets for the tests.</summary>
public static class Events
{
    /// <summary>2026-01-01T00:00:00Z: every test time is an offset from it.</summary>
    public const long T0 = 1_767_225_600_000;

    public static PlaybackEvent Event(string member, string title, string session, int seq, long atSeconds, long positionMs, long durationMs = 100_000, string? eventId = null) =>
        new(eventId ?? $"{member}.{title}.{session}.{seq}.{atSeconds}", member, title, session, seq, PlaybackEventType.Progress, positionMs, durationMs, T0 + (atSeconds * 1000), null);

    public static Dictionary<SessionKey, SessionState> Reduce(params IEnumerable<PlaybackEvent> events) => BatchReducer.ReduceSessions(events);

    /// <summary>
    /// A random event set with many collisions: few members, titles and sessions, equal seqs and timestamps, so
    /// every tiebreak of the contract is exercised. Event ids are unique per content, as the contract asks.
    /// </summary>
    public static List<PlaybackEvent> RandomSet(Random random, string prefix, int count, int members = 3, int titles = 4, int sessions = 3)
    {
        var events = new List<PlaybackEvent>(count);
        for (var i = 0; i < count; i++)
        {
            var duration = random.Next(1, 4) * 60_000L;
            events.Add(new PlaybackEvent(
                $"{prefix}e{i}",
                $"{prefix}m{random.Next(members)}",
                $"{prefix}{(random.Next(2) == 0 ? "t" : "T")}{random.Next(titles)}",
                $"s{random.Next(sessions)}",
                random.Next(6),
                PlaybackEventType.Progress,
                random.NextInt64(duration + 1),
                duration,
                T0 + (random.Next(40) * 1000L),
                null));
        }

        return events;
    }

    /// <summary>Random hide marks (title and whole-member) over the same members, titles and time range.</summary>
    public static List<HideMark> RandomHides(Random random, string prefix, int count, int members = 3, int titles = 4)
    {
        var hides = new List<HideMark>(count);
        for (var i = 0; i < count; i++)
        {
            var member = $"{prefix}m{random.Next(members)}";
            var title = random.Next(4) == 0 ? null : $"{prefix}{(random.Next(2) == 0 ? "t" : "T")}{random.Next(titles)}";
            hides.Add(new HideMark(member, title, T0 + (random.Next(40) * 1000L)));
        }

        return hides;
    }

    /// <summary>The events shuffled, some of them duplicated, cut into batches of random sizes.</summary>
    public static List<List<PlaybackEvent>> ShuffledBatches(Random random, IReadOnlyList<PlaybackEvent> events)
    {
        var all = events.Concat(events.Where(_ => random.Next(3) == 0)).OrderBy(_ => random.Next()).ToList();
        var batches = new List<List<PlaybackEvent>>();
        for (var i = 0; i < all.Count;)
        {
            var size = Math.Min(all.Count - i, random.Next(1, 25));
            batches.Add(all.GetRange(i, size));
            i += size;
        }

        return batches;
    }
}
