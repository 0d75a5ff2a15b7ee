using ViewingHistory.Core.Events;
using ViewingHistory.Core.Serialization;

namespace ViewingHistory.Queue;

/// <summary>
/// One appended batch as delivered. <see cref="Batch"/> is null when the bytes could not be decoded
/// (<see cref="DecodeError"/> says why): such an entry is poison and goes to the dead-letter queue.
/// </summary>
public sealed class QueueEntry
{
    private Decoded? _decoded;

    /// <summary>An entry decoded already (<paramref name="batch"/> null, with <paramref name="decodeError"/>, when its bytes are not a batch).</summary>
    public QueueEntry(string id, AcceptedBatch? batch, ReadOnlyMemory<byte> payload, int deliveryCount, string? decodeError)
    {
        Id = id;
        Payload = payload;
        DeliveryCount = deliveryCount;
        _decoded = new Decoded(batch, decodeError);
    }

    private QueueEntry(string id, ReadOnlyMemory<byte> payload, int deliveryCount)
    {
        Id = id;
        Payload = payload;
        DeliveryCount = deliveryCount;
    }

    /// <summary>
    /// An entry whose <paramref name="payload"/> <see cref="EventBatchCodec"/> decodes the first time its
    /// <see cref="Batch"/> or <see cref="DecodeError"/> is read. A delivery held before it is applied (read ahead, or
    /// buffered by the archive for a file) then holds one array per entry, not a graph of events and strings that
    /// survives collections until it is used (benchmarks/NOTES.md).
    /// </summary>
    public static QueueEntry Undecoded(string id, ReadOnlyMemory<byte> payload, int deliveryCount) => new(id, payload, deliveryCount);

    /// <summary>The queue's id of the entry (its log address, its stream sequence).</summary>
    public string Id { get; }

    /// <summary>The decoded batch; null when <see cref="Payload"/> does not decode.</summary>
    public AcceptedBatch? Batch => Decode().Batch;

    /// <summary>The entry's bytes as appended.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>
    /// The events the entry's header counts, read without decoding it, as the queues count their lag: a batch's events,
    /// 0 for bytes that start no batch. An entry whose header reads but whose rest does not decode counts its header's
    /// number, which no apply takes (it is dead-lettered).
    /// </summary>
    public int EventCount => EventBatchCodec.EventCountOf(Payload.Span);

    /// <summary>How many times the queue has delivered the entry, this delivery included.</summary>
    public int DeliveryCount { get; }

    /// <summary>Why <see cref="Payload"/> does not decode; null when it does.</summary>
    public string? DecodeError => Decode().Error;

    private Decoded Decode()
    {
        if (Volatile.Read(ref _decoded) is { } decoded)
        {
            return decoded;
        }

        try
        {
            decoded = new Decoded(EventBatchCodec.Decode(Payload.Span), null);
        }
        catch (FormatException ex)
        {
            decoded = new Decoded(null, ex.Message);
        }

        // Decoding is deterministic: a second thread racing here decodes the same batch, and the first one stored wins.
        return Interlocked.CompareExchange(ref _decoded, decoded, null) ?? decoded;
    }

    private sealed record Decoded(AcceptedBatch? Batch, string? Error);
}
