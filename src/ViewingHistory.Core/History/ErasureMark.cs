namespace ViewingHistory.Core.History;

/// <summary>
/// An erasure of a member (CONTRACT.md "Member data rights"): every event of the member whose timestamp is at or before
/// <paramref name="ErasedThroughMs"/> (E = T + 5 minutes, T the server time the erasure was recorded) is covered, and a
/// covered event is dropped before any merge, whatever its order or how often it arrives. Marks never move back: of
/// several marks of one member, the latest E is the one in force.
/// </summary>
public sealed record ErasureMark(string MemberId, long ErasedThroughMs)
{
    /// <summary>How far ahead of the server's clock an accepted event's timestamp can be, so how far past T a mark covers.</summary>
    public static readonly TimeSpan Reach = TimeSpan.FromMinutes(5);

    /// <summary>E for an erasure recorded at server time <paramref name="requestedAtMs"/>.</summary>
    public static long ThroughFor(long requestedAtMs) => requestedAtMs + (long)Reach.TotalMilliseconds;

    /// <summary>True when an event of the member stamped <paramref name="timestampMs"/> is covered by a mark at <paramref name="erasedThroughMs"/>.</summary>
    public static bool Covers(long erasedThroughMs, long timestampMs) => timestampMs <= erasedThroughMs;

    /// <summary>The mark in force per member: the greatest E of each.</summary>
    public static Dictionary<string, long> InForce(IEnumerable<ErasureMark>? marks)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var m in marks ?? [])
        {
            result[m.MemberId] = result.TryGetValue(m.MemberId, out var e) ? Math.Max(e, m.ErasedThroughMs) : m.ErasedThroughMs;
        }

        return result;
    }
}
