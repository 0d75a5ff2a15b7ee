using ViewingHistory.Core.Events;

namespace ViewingHistory.Queue;

/// <summary>
/// One appended batch as delivered. <see cref="Batch"/> is null when the bytes could not be decoded
/// (<see cref="DecodeError"/> says why): such an entry is poison and goes to the dead-letter queue.
/// </summary>
public sealed record QueueEntry(
    string Id,
    AcceptedBatch? Batch,
    ReadOnlyMemory<byte> Payload,
    int DeliveryCount,
    string? DecodeError);
