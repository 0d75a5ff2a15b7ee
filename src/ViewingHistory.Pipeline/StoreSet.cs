using ViewingHistory.Store;

namespace ViewingHistory.Pipeline;

/// <summary>The authoritative store, and in shadow mode the store the async path builds for comparison.</summary>
public sealed record StoreSet(IHistoryStore Primary, IHistoryStore? Shadow);
