using System.Globalization;

namespace ViewingHistory.Benchmarks.Harness;

/// <summary>One scrape of a server's Prometheus text: series (name with labels) to value.</summary>
public sealed class Metrics(Dictionary<string, double> series, TimeSpan at)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public TimeSpan At { get; } = at;

    public double this[string name] => series.GetValueOrDefault(name);

    /// <summary>The sum of every series of <paramref name="name"/> whatever its labels (the lag gauges have one per stream).</summary>
    public double Sum(string name) =>
        series.Where(s => s.Key == name || s.Key.StartsWith(name + "{", StringComparison.Ordinal)).Sum(s => s.Value);

    /// <summary>Each series of <paramref name="name"/> by the value of its label <paramref name="label"/>.</summary>
    public IReadOnlyDictionary<string, double> ByLabel(string name, string label)
    {
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var key = label + "=\"";
        foreach (var (s, v) in series)
        {
            var at = s.IndexOf(key, StringComparison.Ordinal);
            if (s.StartsWith(name + "{", StringComparison.Ordinal) && at > 0)
            {
                var start = at + key.Length;
                result[s[start..s.IndexOf('"', start)]] = v;
            }
        }

        return result;
    }

    public static async Task<Metrics> ScrapeAsync(Uri baseAddress, System.Diagnostics.Stopwatch clock)
    {
        var text = await Http.GetStringAsync(new Uri(baseAddress, "/metrics"));
        var series = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            // "name{labels} value [timestamp]": the labels may hold spaces only inside quotes, which ours never do.
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                series[parts[0].Replace(",otel_scope_name=\"ViewingHistory\"", "", StringComparison.Ordinal).Replace("otel_scope_name=\"ViewingHistory\",", "", StringComparison.Ordinal).Replace("{otel_scope_name=\"ViewingHistory\"}", "", StringComparison.Ordinal)] = v;
            }
        }

        return new Metrics(series, clock.Elapsed);
    }

    public double Processed => this["vh_processed_events_total"];

    public double Rows => this["vh_processed_session_rows_total"];

    public double Ingested => this["vh_ingest_events_total"];

    public double Lag => Sum("vh_queue_lag_events");

    /// <summary>The q-quantile (seconds) of a histogram between two scrapes, interpolated inside its bucket.</summary>
    public static double HistogramQuantile(Metrics before, Metrics after, string histogram, double q)
    {
        var buckets = after.Buckets(histogram)
            .Select(b => (b.Le, Count: b.Count - before.Buckets(histogram).Where(x => x.Le == b.Le).Select(x => x.Count).FirstOrDefault()))
            .OrderBy(b => b.Le)
            .ToList();
        if (buckets.Count == 0 || buckets[^1].Count <= 0)
        {
            return double.NaN;
        }

        var target = q * buckets[^1].Count;
        var (prevLe, prevCount) = (0.0, 0.0);
        foreach (var (le, count) in buckets)
        {
            if (count >= target)
            {
                if (double.IsPositiveInfinity(le))
                {
                    return prevLe; // beyond the last finite bound: report the bound
                }

                return prevLe + ((le - prevLe) * (count - prevCount) == 0 ? 0 : (le - prevLe) * (target - prevCount) / (count - prevCount));
            }

            (prevLe, prevCount) = (le, count);
        }

        return prevLe;
    }

    public static double HistogramCount(Metrics before, Metrics after, string histogram) =>
        after[histogram + "_count"] - before[histogram + "_count"];

    private IEnumerable<(double Le, double Count)> Buckets(string histogram)
    {
        var prefix = histogram + "_bucket{";
        foreach (var (name, value) in series)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var le = name[(name.IndexOf("le=\"", StringComparison.Ordinal) + 4)..];
            le = le[..le.IndexOf('"', StringComparison.Ordinal)];
            yield return (le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture), value);
        }
    }
}
