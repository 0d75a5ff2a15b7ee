namespace ViewingHistory.Core.Events;

/// <summary>A validated batch as one ingest request accepted it, at server time <paramref name="AcceptedAtMs"/>.</summary>
public sealed record AcceptedBatch(long AcceptedAtMs, IReadOnlyList<PlaybackEvent> Events);
