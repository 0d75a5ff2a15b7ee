using System.Diagnostics.Metrics;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Queue;

namespace ViewingHistory.Pipeline.Archive;

/// <summary>The archive's instruments, on the service's meter (exported with the others at <c>/metrics</c>).</summary>
public sealed class ArchiveMetrics
{
    private readonly Counter<long> _archived;
    private readonly StreamLagGauge _lag = new();

    public ArchiveMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(VhMetrics.MeterName);
        _archived = meter.CreateCounter<long>("vh_archive_events", description: "Events written to the Parquet archive (copies written again after a redelivery included).");
        _archived.Add(0);
        meter.CreateObservableGauge("vh_archive_lag_events", _lag.Read, description: "Events appended to the queue and not yet acknowledged by the archive, per stream.");
    }

    public void Archived(int events) => _archived.Add(events);

    /// <summary>Where the lag gauge reads from (the archive's consumer): one series per stream it reads.</summary>
    public void ObserveLag(IQueueConsumer consumer) => _lag.Observe(consumer);
}
