namespace ViewingHistory.Queue;

/// <summary>Entries that failed permanently, with their reason; they can be listed, replayed into the queue, or purged.</summary>
public interface IDeadLetterQueue
{
    /// <summary>Records the entry with its reason. Durable when it completes.</summary>
    ValueTask AddAsync(QueueEntry entry, string reason, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeadLetter>> ListAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Appends the dead letter's payload to the queue again and removes it. False when there is no such id.</summary>
    Task<bool> ReplayAsync(string id, CancellationToken cancellationToken);

    /// <summary>Removes a dead letter (null: all). Returns how many were removed.</summary>
    Task<int> PurgeAsync(string? id, CancellationToken cancellationToken);

    /// <summary>How many dead letters are held.</summary>
    long Count { get; }
}
