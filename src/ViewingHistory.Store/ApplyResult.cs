namespace ViewingHistory.Store;

/// <summary>What an apply wrote: session rows merged and items that really changed.</summary>
public readonly record struct ApplyResult(int SessionsWritten, int ItemsChanged);
