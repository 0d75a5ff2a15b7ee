namespace ViewingHistory.Core.History;

/// <summary>One title in one member's history.</summary>
public readonly record struct ItemKey(string MemberId, string TitleId) : IComparable<ItemKey>
{
    public int CompareTo(ItemKey other)
    {
        var c = string.CompareOrdinal(MemberId, other.MemberId);
        return c != 0 ? c : string.CompareOrdinal(TitleId, other.TitleId);
    }
}
