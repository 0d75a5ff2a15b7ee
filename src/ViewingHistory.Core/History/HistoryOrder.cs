namespace ViewingHistory.Core.History;

/// <summary>The order of a history page: newest <c>lastWatchedAt</c> first, ties by <c>titleId</c> ascending (ordinal).</summary>
public sealed class HistoryOrder : IComparer<HistoryItem>
{
    public static readonly HistoryOrder Instance = new();

    public int Compare(HistoryItem? x, HistoryItem? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var c = y.LastWatchedAtMs.CompareTo(x.LastWatchedAtMs);
        return c != 0 ? c : string.CompareOrdinal(x.TitleId, y.TitleId);
    }
}
