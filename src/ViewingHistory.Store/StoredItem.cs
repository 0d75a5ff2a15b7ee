using ViewingHistory.Core.History;

namespace ViewingHistory.Store;

/// <summary>
/// An item row as the stores keep it: the contract's item plus the id of its latest session, which is not part of
/// the contract (so a change of it alone is written but never reported in the feed).
/// </summary>
internal sealed record StoredItem(HistoryItem Item, string LatestSessionId)
{
    /// <summary>The item of one (member, title) from all its sessions and its effective hide mark, or null when none count.</summary>
    public static StoredItem? Compute(string titleId, IReadOnlyCollection<SessionState> sessions, long? hideMarkMs)
    {
        var item = ItemComputer.Compute(titleId, sessions, hideMarkMs);
        if (item is null)
        {
            return null;
        }

        SessionState? latest = null;
        foreach (var s in sessions)
        {
            if ((hideMarkMs is not { } h || s.LastAtMs > h) && (latest is null || ItemComputer.IsLater(s, latest)))
            {
                latest = s;
            }
        }

        return new StoredItem(item, latest!.SessionId);
    }
}
