namespace ViewingHistory.Store;

/// <summary>Changes after a position; <see cref="Next"/> is the position to read after next time.</summary>
public sealed record ChangePage(IReadOnlyList<ItemChange> Changes, long Next);
