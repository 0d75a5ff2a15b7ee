namespace ViewingHistory.Queue.Embedded;

/// <summary>
/// The contiguous acknowledgement watermark of one consumer (as KafkaFlow's PartitionOffsets): deliveries are
/// tracked in log order; acknowledgements may come in any order; the position only moves past a delivery once it
/// and every delivery before it are acknowledged. Not thread-safe: the owner locks.
/// </summary>
internal sealed class AckWatermark(ConsumerCheckpoint start)
{
    private readonly Queue<Pending> _pending = new();

    public ConsumerCheckpoint Position { get; private set; } = start;

    public int Outstanding => _pending.Count;

    /// <summary>Tracks the next delivery, which covers the log up to <paramref name="endAddress"/>.</summary>
    public Pending Track(long endAddress, int events)
    {
        var pending = new Pending(endAddress, events);
        _pending.Enqueue(pending);
        return pending;
    }

    /// <summary>Marks a delivery acknowledged; true when the watermark moved.</summary>
    public bool Ack(Pending pending)
    {
        pending.Acked = true;
        var moved = false;
        while (_pending.TryPeek(out var head) && head.Acked)
        {
            _pending.Dequeue();
            Position = new ConsumerCheckpoint(head.EndAddress, Position.EventsBelow + head.Events);
            moved = true;
        }

        return moved;
    }

    /// <summary>One delivery's place in the watermark.</summary>
    internal sealed class Pending(long endAddress, int events)
    {
        public long EndAddress { get; } = endAddress;

        public int Events { get; } = events;

        public bool Acked { get; set; }
    }
}
