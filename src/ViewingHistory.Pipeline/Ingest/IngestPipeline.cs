using System.Diagnostics;
using ViewingHistory.Core.Diagnostics;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Queue;
using ViewingHistory.Store;

namespace ViewingHistory.Pipeline.Ingest;

/// <summary>
/// The ingest path of every mode. Every accepted batch is appended durably to the queue first (DESIGN.md,
/// "Sync mode and the log"): processors drain the queue in every mode, so a mode switch never strands an
/// event and the archive and feed see everything. Members on the sync path (sync and shadow modes, or above
/// the async percentage) then have their events applied to the store before the answer. A sync apply that
/// fails or overruns its timeout surfaces as <see cref="StoreUnavailableException"/> (503): the events are
/// already durable in the queue, so nothing is lost, and the client's resend is harmless.
/// </summary>
public sealed class IngestPipeline(
    IEventQueue queue,
    StoreSet stores,
    OptionsInForce<PipelineOptions> options,
    VhMetrics metrics,
    TimeProvider time)
{
    private readonly ErasureFilter _erasures = new();

    /// <exception cref="QueueUnavailableException">The queue (and spool) cannot make the batch durable.</exception>
    /// <exception cref="StoreUnavailableException">The sync path could not apply the batch in time.</exception>
    public async ValueTask IngestAsync(IReadOnlyList<PlaybackEvent> events, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var current = options.Current;

        // Null (and free) unless a tracer listens; the batch then carries this span's context through the queue, so
        // the processor's apply span can link back to it.
        using var activity = VhTracing.Source.StartActivity("ingest", ActivityKind.Producer);
        activity?.SetTag("vh.events", events.Count);
        var batch = new AcceptedBatch(time.GetUtcNow().ToUnixTimeMilliseconds(), events) { Trace = VhTracing.CurrentRecorded() };
        await queue.AppendAsync(batch, cancellationToken);

        var syncEvents = SyncPathEvents(events, current);
        if (syncEvents.Count > 0)
        {
            await ApplySyncAsync(syncEvents, current.SyncApplyTimeout, cancellationToken);

            // The sync path makes its events visible before the 202: their end-to-end latency is zero.
            metrics.EndToEnd(TimeSpan.Zero);
        }

        metrics.Ingested(events.Count);
        metrics.IngestDuration(Stopwatch.GetElapsedTime(started));
    }

    private static IReadOnlyList<PlaybackEvent> SyncPathEvents(IReadOnlyList<PlaybackEvent> events, PipelineOptions current)
    {
        if (current.Mode is PipelineMode.Sync or PipelineMode.Shadow)
        {
            return events;
        }

        if (current.AsyncPercent >= 100)
        {
            return [];
        }

        return events.Where(e => current.IsSyncPath(e.MemberId)).ToList();
    }

    private async Task ApplySyncAsync(IReadOnlyList<PlaybackEvent> events, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await Deadline.RunAsync(ct => _erasures.ApplyAsync(stores.Primary, events, ct), timeout, cancellationToken);
        }
        catch (TimeoutException ex)
        {
            // Not applied in time: 503. The batch is already durable in the queue, so the processors apply it
            // (a late commit of this apply is the same whole transaction, never half a batch).
            throw new StoreUnavailableException($"The store did not apply the batch within {timeout.TotalSeconds:0.#} s.", ex);
        }
    }
}
