using System.Diagnostics;

namespace ViewingHistory.Core.Events;

/// <summary>A validated batch as one ingest request accepted it, at server time <paramref name="AcceptedAtMs"/>.</summary>
public sealed record AcceptedBatch(long AcceptedAtMs, IReadOnlyList<PlaybackEvent> Events)
{
    /// <summary>
    /// The ingest span that accepted the batch, carried through the queue so the processor's apply span can link to
    /// it; default (none) unless tracing recorded that span.
    /// </summary>
    public ActivityContext Trace { get; init; }
}
