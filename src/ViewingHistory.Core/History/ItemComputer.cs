namespace ViewingHistory.Core.History;

/// <summary>The item of one (member, title) from its sessions and its effective hide mark.</summary>
public static class ItemComputer
{
    /// <summary>
    /// Folds the sessions that count (<c>lastAt &gt; hideMark</c>) into the item, or null when none count.
    /// </summary>
    public static HistoryItem? Compute(string titleId, IEnumerable<SessionState> sessions, long? hideMarkMs)
    {
        SessionState? latest = null;
        var count = 0;
        foreach (var s in sessions)
        {
            if (hideMarkMs is { } h && s.LastAtMs <= h)
            {
                continue;
            }

            count++;
            if (latest is null || IsLater(s, latest))
            {
                latest = s;
            }
        }

        return latest is null ? null : new HistoryItem(titleId, latest.LastAtMs, latest.PositionMs, latest.DurationMs, count);
    }

    /// <summary>The latest session: greater lastAt, ties to the greater sessionId (ordinal).</summary>
    public static bool IsLater(SessionState x, SessionState y) =>
        x.LastAtMs != y.LastAtMs ? x.LastAtMs > y.LastAtMs : string.CompareOrdinal(x.SessionId, y.SessionId) > 0;

    /// <summary>The effective mark of a title: the later of the member's hide-all and the title's own mark.</summary>
    public static long? EffectiveMark(long? memberMarkMs, long? titleMarkMs) =>
        memberMarkMs is null ? titleMarkMs : titleMarkMs is null ? memberMarkMs : Math.Max(memberMarkMs.Value, titleMarkMs.Value);
}
