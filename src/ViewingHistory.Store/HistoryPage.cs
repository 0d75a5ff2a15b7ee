using ViewingHistory.Core.History;

namespace ViewingHistory.Store;

/// <summary>A page of items; <see cref="Next"/> is null on the last page.</summary>
public sealed record HistoryPage(IReadOnlyList<HistoryItem> Items, HistoryCursor? Next);
