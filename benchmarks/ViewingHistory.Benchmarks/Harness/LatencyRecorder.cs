namespace ViewingHistory.Benchmarks.Harness;

/// <summary>Latencies in microseconds, kept whole (a run is at most a few million requests) and sorted once.</summary>
public sealed class LatencyRecorder
{
    private readonly List<long> _us = [];
    private readonly object _gate = new();

    public void Add(long microseconds)
    {
        lock (_gate)
        {
            _us.Add(microseconds);
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _us.Count;
            }
        }
    }

    /// <summary>The q-quantile in milliseconds (0 when empty).</summary>
    public double QuantileMs(double q)
    {
        lock (_gate)
        {
            if (_us.Count == 0)
            {
                return 0;
            }

            _us.Sort();
            var index = (int)Math.Min(_us.Count - 1, Math.Ceiling(q * _us.Count) - 1);
            return _us[Math.Max(0, index)] / 1000.0;
        }
    }
}
