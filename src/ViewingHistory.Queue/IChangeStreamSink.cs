namespace ViewingHistory.Queue;

/// <summary>
/// A durable stream outside the service that the change feed is relayed to, with the relay's saved position (a seam
/// beside the queue engines: only a shared queue engine offers one). The relay loop that tails the store's feed and
/// decides what to publish is engine-neutral; this is what it needs from the engine.
/// </summary>
public interface IChangeStreamSink
{
    /// <summary>The stream's name, for logs.</summary>
    string Name { get; }

    /// <summary>Where a change goes that its member's destination refused (<see cref="PublishUnroutableAsync"/>), for logs.</summary>
    string UnroutableDestination { get; }

    /// <summary>
    /// Creates or updates the stream, keeping changes for <paramref name="retention"/> as the store's feed does, and
    /// returns the position saved last (0 before the first save). Called again after any failure.
    /// </summary>
    Task<long> OpenAsync(TimeSpan retention, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes one change of <paramref name="memberId"/> at <paramref name="position"/>, durably, bounded in time.
    /// Publishing the same position again (after a crash, or by a second relay) stores it once.
    /// </summary>
    Task PublishAsync(long position, string memberId, byte[] payload, CancellationToken cancellationToken);

    /// <summary>Publishes a change that <see cref="PublishAsync"/> kept failing to publish where no member's changes go.</summary>
    Task PublishUnroutableAsync(long position, byte[] payload, CancellationToken cancellationToken);

    /// <summary>Saves the position the next <see cref="OpenAsync"/> returns.</summary>
    Task SavePositionAsync(long position, CancellationToken cancellationToken);

    /// <summary>
    /// Removes from the stream every change of <paramref name="memberId"/> at a position up to
    /// <paramref name="throughPosition"/> (an erasure: the changes before its null changes), keeping the later ones.
    /// Idempotent.
    /// </summary>
    Task PurgeMemberAsync(string memberId, long throughPosition, CancellationToken cancellationToken);
}
