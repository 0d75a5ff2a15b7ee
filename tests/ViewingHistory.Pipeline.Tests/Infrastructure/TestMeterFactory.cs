using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ViewingHistory.Pipeline.Tests.Infrastructure;

/// <summary>Meters of one test only, so that a listener can tell this test's instruments from those of tests running beside it.</summary>
public sealed class TestMeterFactory : IMeterFactory
{
    private readonly ConcurrentBag<Meter> _meters = [];

    public bool Owns(Meter meter) => _meters.Contains(meter);

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }
}
