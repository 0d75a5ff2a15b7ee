using System.Diagnostics.Metrics;
using ViewingHistory.Queue;

namespace ViewingHistory.Pipeline.Observability;

/// <summary>
/// The service's instruments (CONTRACT.md "Operations"), on one <see cref="Meter"/> exported as Prometheus text.
/// Names are the exported names; gauges read their sources when scraped.
/// </summary>
public sealed class VhMetrics : IDisposable
{
    public const string MeterName = "ViewingHistory";

    private readonly Meter _meter;
    private readonly Counter<long> _ingested;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _processed;
    private readonly Histogram<double> _endToEnd;
    private readonly Histogram<double> _ingestLatency;
    private readonly Histogram<double> _applyDuration;
    private readonly Histogram<long> _applyEvents;
    private readonly Counter<long> _shadowCompared;
    private readonly Counter<long> _shadowMismatched;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _rowsWritten;
    private readonly StreamLagGauge _lag = new();
    private Func<long> _dlq = () => 0;

    /// <summary>The values of <c>vh_ingest_rejected_total{reason}</c>.</summary>
    public static readonly string[] RejectReasons =
        ["unauthorized", "forbidden", "unsupported_media_type", "too_large", "malformed", "invalid", "rate_limited", "overloaded", "queue_unavailable", "store_unavailable"];

    public VhMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _ingested = _meter.CreateCounter<long>("vh_ingest_events", description: "Events accepted (answered 202).");
        _rejected = _meter.CreateCounter<long>("vh_ingest_rejected", description: "Ingest requests refused, by reason.");
        _processed = _meter.CreateCounter<long>("vh_processed_events", description: "Events applied to the store by processors.");
        _rowsWritten = _meter.CreateCounter<long>("vh_processed_session_rows", description: "Session rows merged by processors (events / rows = coalescing factor).");
        _deadLettered = _meter.CreateCounter<long>("vh_dead_lettered_entries", description: "Queue entries moved to the dead-letter queue.");
        _shadowCompared = _meter.CreateCounter<long>("vh_shadow_compared", description: "Items compared between the sync store and the shadow store.");
        _shadowMismatched = _meter.CreateCounter<long>("vh_shadow_mismatched", description: "Items that differed between the sync store and the shadow store.");
        _endToEnd = _meter.CreateHistogram<double>(
            "vh_end_to_end_latency",
            unit: "s",
            description: "From the 202 to the moment the event is visible in reads.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _applyDuration = _meter.CreateHistogram<double>(
            "vh_processor_apply_duration",
            unit: "s",
            description: "Time a processor took to apply one delivery to its store (every worker's transaction).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
        _applyEvents = _meter.CreateHistogram<long>(
            "vh_processor_apply_events",
            description: "Events in one delivery a processor applied.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [10, 100, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000] });
        _ingestLatency = _meter.CreateHistogram<double>(
            "vh_ingest_request_duration",
            unit: "s",
            description: "Time to make an ingest request durable and answer it.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5] });
        foreach (var reason in RejectReasons)
        {
            // Every series exists from the first scrape, at zero, so dashboards and alerts need no special case.
            _rejected.Add(0, new KeyValuePair<string, object?>("reason", reason));
        }

        _ingested.Add(0);
        _processed.Add(0);
        _deadLettered.Add(0);
        _meter.CreateObservableGauge("vh_queue_lag_events", _lag.Read, description: "Events appended to the queue and not yet applied by the processors, per stream.");
        _meter.CreateObservableGauge("vh_dlq_events", () => _dlq(), description: "Entries in the dead-letter queue.");
    }

    public void Ingested(int events) => _ingested.Add(events);

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Processed(int events, int sessionRows)
    {
        _processed.Add(events);
        _rowsWritten.Add(sessionRows);
    }

    public void DeadLettered(int entries) => _deadLettered.Add(entries);

    public void EndToEnd(TimeSpan latency) => _endToEnd.Record(Math.Max(0, latency.TotalSeconds));

    public void IngestDuration(TimeSpan duration) => _ingestLatency.Record(duration.TotalSeconds);

    public void Applied(int events, TimeSpan duration)
    {
        _applyDuration.Record(duration.TotalSeconds);
        _applyEvents.Record(events);
    }

    public void ShadowCompared(int items, int mismatched)
    {
        _shadowCompared.Add(items);
        _shadowMismatched.Add(mismatched);
    }

    /// <summary>Where the lag gauge reads from (the processor's consumer): one series per stream it reads.</summary>
    public void ObserveLag(IQueueConsumer consumer) => _lag.Observe(consumer);

    public void ObserveDeadLetters(Func<long> count) => _dlq = count;

    public void Dispose() => _meter.Dispose();
}
