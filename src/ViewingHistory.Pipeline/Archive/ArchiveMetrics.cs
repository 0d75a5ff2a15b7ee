using System.Diagnostics.Metrics;
using ViewingHistory.Pipeline.Observability;

namespace ViewingHistory.Pipeline.Archive;

/// <summary>The archive's instruments, on the service's meter (exported with the others at <c>/metrics</c>).</summary>
public sealed class ArchiveMetrics
{
    private readonly Counter<long> _archived;
    private Func<long> _lag = () => 0;

    public ArchiveMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(VhMetrics.MeterName);
        _archived = meter.CreateCounter<long>("vh_archive_events", description: "Events written to the Parquet archive (copies written again after a redelivery included).");
        _archived.Add(0);
        meter.CreateObservableGauge("vh_archive_lag_events", () => _lag(), description: "Events appended to the queue and not yet acknowledged by the archive.");
    }

    public void Archived(int events) => _archived.Add(events);

    public void ObserveLag(Func<long> lag) => _lag = lag;
}
