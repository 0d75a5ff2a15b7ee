using ViewingHistory.Core.History;

namespace ViewingHistory.Store;

/// <summary>One change of the feed: the item as it became, or null when it was hidden.</summary>
public sealed record ItemChange(long Position, string MemberId, string TitleId, HistoryItem? Item, long ChangedAtMs);
