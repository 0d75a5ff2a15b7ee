using System.Collections.Concurrent;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;

namespace ViewingHistory.Cli.Simulation;

/// <summary>
/// What the simulator knows for certain: the events the server answered 202 for, and the hides it answered 204 for
/// with the interval of server time in which each was accepted. From these, <see cref="Expected"/> computes the
/// history CONTRACT.md promises, with the Core reducer.
/// </summary>
internal sealed class SimulationModel
{
    private readonly ConcurrentDictionary<string, PlaybackEvent> _accepted = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<HideRecord> _hides = new();
    private readonly ConcurrentDictionary<string, string> _unknown = new(StringComparer.Ordinal);

    public int AcceptedEvents => _accepted.Count;

    public int Hides => _hides.Count;

    public void Accept(IEnumerable<PlaybackEvent> events)
    {
        foreach (var e in events)
        {
            _accepted.TryAdd(e.EventId, e);
        }
    }

    /// <summary>A hide the server accepted at some server time within [<paramref name="fromMs"/>, <paramref name="toMs"/>].</summary>
    public void Hidden(string memberId, string? titleId, long fromMs, long toMs) => _hides.Enqueue(new HideRecord(memberId, titleId, fromMs, toMs));

    /// <summary>
    /// The member's history cannot be known: a batch that never got an answer may or may not be durable, a hide
    /// that failed may or may not have been applied.
    /// </summary>
    public void Unknowable(string memberId, string why) => _unknown.TryAdd(memberId, why);

    /// <summary>Titles this member has accepted events for (candidates for a hide).</summary>
    public List<string> TitlesOf(string memberId) =>
        [.. _accepted.Values.Where(e => e.MemberId == memberId).Select(e => e.TitleId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>
    /// The expected history of every member, and the members left out with the reason. A hide is placed only where
    /// its exact time cannot matter: no session in its scope ends inside the interval in which it was accepted.
    /// </summary>
    public (Dictionary<string, List<HistoryItem>> Expected, Dictionary<string, string> LeftOut) Expected(IEnumerable<string> members)
    {
        var events = _accepted.Values.ToList();
        var sessions = BatchReducer.ReduceSessions(events);
        var leftOut = new Dictionary<string, string>(_unknown, StringComparer.Ordinal);
        foreach (var hide in _hides)
        {
            var ambiguous = sessions.Any(s =>
                s.Key.MemberId == hide.MemberId &&
                (hide.TitleId is null || s.Key.TitleId == hide.TitleId) &&
                s.Value.LastAtMs >= hide.FromMs && s.Value.LastAtMs <= hide.ToMs);
            if (ambiguous)
            {
                leftOut.TryAdd(hide.MemberId, "a session ended within the time a hide was accepted, so the model cannot place it");
            }
        }

        // Any time inside the interval gives the same history once no session ends inside it.
        var marks = _hides.Select(h => new HideMark(h.MemberId, h.TitleId, h.FromMs));
        var computed = HistoryReducer.Compute(events, marks);
        var expected = new Dictionary<string, List<HistoryItem>>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            if (!leftOut.ContainsKey(member))
            {
                expected[member] = computed.TryGetValue(member, out var items) ? items : [];
            }
        }

        return (expected, leftOut);
    }

    private sealed record HideRecord(string MemberId, string? TitleId, long FromMs, long ToMs);
}
