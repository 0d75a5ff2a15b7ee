using ViewingHistory.Core.Events;

namespace ViewingHistory.Core.History;

/// <summary>
/// What the history needs of a session: its latest timestamp and its head (the event with the highest
/// seq; ties to the later timestamp, then to the greater eventId, ordinal). <see cref="Merge"/> is
/// commutative, associative and idempotent, so any order, duplication or batching of the session's
/// events gives the same state.
/// </summary>
public sealed record SessionState(
    string SessionId,
    long LastAtMs,
    int HeadSeq,
    long HeadTimestampMs,
    string HeadEventId,
    long PositionMs,
    long DurationMs)
{
    public static SessionState Of(PlaybackEvent e) =>
        new(e.SessionId, e.TimestampMs, e.Seq, e.TimestampMs, e.EventId, e.PositionMs, e.DurationMs);

    public static SessionState Merge(SessionState a, SessionState b)
    {
        var head = HeadWins(b, a) ? b : a;
        var lastAt = Math.Max(a.LastAtMs, b.LastAtMs);
        return head.LastAtMs == lastAt ? head : head with { LastAtMs = lastAt };
    }

    /// <summary>True when <paramref name="x"/>'s head ranks above <paramref name="y"/>'s.</summary>
    public static bool HeadWins(SessionState x, SessionState y)
    {
        if (x.HeadSeq != y.HeadSeq)
        {
            return x.HeadSeq > y.HeadSeq;
        }

        if (x.HeadTimestampMs != y.HeadTimestampMs)
        {
            return x.HeadTimestampMs > y.HeadTimestampMs;
        }

        return string.CompareOrdinal(x.HeadEventId, y.HeadEventId) > 0;
    }
}
