using ViewingHistory.Core.Events;

namespace ViewingHistory.Core.History;

/// <summary>
/// What the history needs of a session: its latest timestamp and its head (the event with the highest
/// seq; ties to the later timestamp, then to the greater eventId, ordinal), plus what the export shows of it: its
/// earliest timestamp (<see cref="StartedAtMs"/>) and its head's device. <see cref="Merge"/> is commutative,
/// associative and idempotent, so any order, duplication or batching of the session's events gives the same state.
/// </summary>
/// <param name="StartedAtMs">
/// The earliest timestamp of the session's events; null for a session stored before the service kept it. Null absorbs
/// in <see cref="Merge"/> (the earliest of a set that includes unknown timestamps is unknown), which keeps the merge a
/// semilattice: null is the least element.
/// </param>
/// <param name="HeadDevice">The head event's <c>device</c>; it moves with the head.</param>
public sealed record SessionState(
    string SessionId,
    long LastAtMs,
    int HeadSeq,
    long HeadTimestampMs,
    string HeadEventId,
    long PositionMs,
    long DurationMs,
    long? StartedAtMs = null,
    string? HeadDevice = null)
{
    public static SessionState Of(PlaybackEvent e) =>
        new(e.SessionId, e.TimestampMs, e.Seq, e.TimestampMs, e.EventId, e.PositionMs, e.DurationMs, e.TimestampMs, e.Device);

    public static SessionState Merge(SessionState a, SessionState b)
    {
        var head = HeadWins(b, a) ? b : a;
        var lastAt = Math.Max(a.LastAtMs, b.LastAtMs);
        var startedAt = EarliestStart(a.StartedAtMs, b.StartedAtMs);
        return head.LastAtMs == lastAt && head.StartedAtMs == startedAt ? head : head with { LastAtMs = lastAt, StartedAtMs = startedAt };
    }

    /// <summary>min, with null (unknown) as the least element.</summary>
    public static long? EarliestStart(long? a, long? b) => a is { } x && b is { } y ? Math.Min(x, y) : null;

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
