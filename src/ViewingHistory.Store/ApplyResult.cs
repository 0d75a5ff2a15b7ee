namespace ViewingHistory.Store;

/// <summary>What an apply wrote: session rows whose merged state changed, and items that really changed (one feed change each).</summary>
public readonly record struct ApplyResult(int SessionsWritten, int ItemsChanged);
