using ViewingHistory.Core.History;

namespace ViewingHistory.Pipeline.Shadow;

/// <summary>One item that differs between the authoritative store and the shadow store (null: absent there).</summary>
public sealed record ItemMismatch(string MemberId, string TitleId, HistoryItem? Primary, HistoryItem? Shadow);

/// <summary>The outcome of comparing members between the two stores.</summary>
public sealed record ComparisonReport(int MembersCompared, int ItemsCompared, IReadOnlyList<ItemMismatch> Mismatches)
{
    public bool Clean => Mismatches.Count == 0;
}
