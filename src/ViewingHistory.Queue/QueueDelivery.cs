namespace ViewingHistory.Queue;

/// <summary>Entries handed to a consumer together; acknowledged together.</summary>
public sealed class QueueDelivery(IReadOnlyList<QueueEntry> entries, object? token = null)
{
    public static QueueDelivery Empty { get; } = new([]);

    public IReadOnlyList<QueueEntry> Entries { get; } = entries;

    /// <summary>Engine-specific state the consumer needs to acknowledge the delivery.</summary>
    public object? Token { get; } = token;

    /// <summary>The sum of the entries' <see cref="QueueEntry.EventCount"/>: what the delivery weighs, without decoding it.</summary>
    public int EventCount
    {
        get
        {
            var n = 0;
            foreach (var e in Entries)
            {
                n += e.EventCount;
            }

            return n;
        }
    }
}
