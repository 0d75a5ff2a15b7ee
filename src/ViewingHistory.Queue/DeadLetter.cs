namespace ViewingHistory.Queue;

/// <summary>A dead-lettered entry: its payload as it was appended, why it failed, and when.</summary>
public sealed record DeadLetter(string Id, string Reason, long FailedAtMs, int EventCount, ReadOnlyMemory<byte> Payload);
