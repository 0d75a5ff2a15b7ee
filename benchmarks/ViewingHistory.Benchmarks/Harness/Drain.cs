using System.Diagnostics;
using ViewingHistory.Testing;

namespace ViewingHistory.Benchmarks.Harness;

/// <summary>
/// Watches a server's processing through /metrics while a load runs and after it: processed events, session rows,
/// queue lag, every <see cref="Interval"/>.
/// </summary>
public static class Drain
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    public sealed record Sample(double T, double Ingested, double Processed, double Rows, double Lag);

    public sealed record BacklogResult(
        double Events, double IngestSeconds, double IngestEventsPerSecond, double DrainEventsPerSecond,
        double DrainRowsPerSecond, double Coalescing, double WhileIngestingEventsPerSecond, double DrainSeconds, double Load, List<Sample> Samples);

    /// <summary>
    /// Ingests <paramref name="events"/> heartbeat events as fast as the server takes them (the processor falls behind
    /// and a backlog builds), then measures how fast the processor drains that backlog once ingest has stopped.
    /// </summary>
    public static async Task<BacklogResult> BacklogAsync(ServerProcess server, long events, string run, TimeSpan timeout, int active = 2000)
    {
        var clock = Stopwatch.StartNew();
        var samples = new List<Sample>();
        var load = Children.LoadAsync(server.BaseAddress, "0:600", 100, run, concurrency: 16, active: active, maxEvents: events);
        var ingestEnd = double.NaN;
        var start = await Metrics.ScrapeAsync(server.BaseAddress, clock);
        while (clock.Elapsed < timeout)
        {
            await Task.Delay(Interval);
            var m = await Metrics.ScrapeAsync(server.BaseAddress, clock);
            samples.Add(new Sample(m.At.TotalSeconds, m.Ingested - start.Ingested, m.Processed - start.Processed, m.Rows - start.Rows, m.Lag));
            if (load.IsCompleted && double.IsNaN(ingestEnd))
            {
                ingestEnd = m.At.TotalSeconds;
            }

            if (load.IsCompleted && m.Processed - start.Processed >= samples[^1].Ingested && m.Lag <= 0)
            {
                break;
            }
        }

        await load;
        var loadAverage = Children.LoadAverage();
        var last = samples[^1];
        var atIngestEnd = samples.Last(s => s.T <= ingestEnd);
        var drainSeconds = last.T - atIngestEnd.T;
        var drained = last.Processed - atIngestEnd.Processed;
        return new BacklogResult(
            last.Ingested,
            ingestEnd,
            last.Ingested / ingestEnd,
            drainSeconds > 0 ? drained / drainSeconds : double.NaN,
            drainSeconds > 0 ? (last.Rows - atIngestEnd.Rows) / drainSeconds : double.NaN,
            last.Processed / Math.Max(1, last.Rows),
            atIngestEnd.Processed / ingestEnd,
            drainSeconds,
            loadAverage,
            samples);
    }

    public sealed record SteadyResult(double Rate, double Seconds, double IngestedPerSecond, double ProcessedPerSecond, double Coalescing, double LagStart, double LagEnd, double LagMax, double Errors, double Load, bool Bounded, List<Sample> Samples);

    /// <summary>
    /// Offers <paramref name="eventsPerSecond"/> (100-event requests, open loop) for <paramref name="duration"/> with
    /// the processor running. Lag is bounded when it ends below two seconds' worth of events.
    /// </summary>
    public static async Task<SteadyResult> SteadyAsync(ServerProcess server, double eventsPerSecond, TimeSpan duration, string run, int active = 2000)
    {
        var clock = Stopwatch.StartNew();
        var samples = new List<Sample>();
        var phases = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{eventsPerSecond / 100:F1}:{duration.TotalSeconds:F0}");
        var load = Children.LoadAsync(server.BaseAddress, phases, 100, run, active: active);
        var start = await Metrics.ScrapeAsync(server.BaseAddress, clock);
        while (!load.IsCompleted)
        {
            await Task.Delay(Interval);
            var m = await Metrics.ScrapeAsync(server.BaseAddress, clock);
            samples.Add(new Sample(m.At.TotalSeconds, m.Ingested - start.Ingested, m.Processed - start.Processed, m.Rows - start.Rows, m.Lag));
        }

        var report = await load;
        var loadAverage = Children.LoadAverage();
        var end = samples[^1];
        var lagEnd = end.Lag;
        var seconds = end.T;
        return new SteadyResult(
            eventsPerSecond, seconds, end.Ingested / seconds, end.Processed / seconds, end.Processed / Math.Max(1, end.Rows),
            samples[0].Lag, lagEnd, samples.Max(s => s.Lag), report.Phases.Sum(p => p.Requests - p.Ok), loadAverage,
            lagEnd < 2 * eventsPerSecond, samples);
    }

    /// <summary>Waits until the lag is zero (for the next measurement to start clean).</summary>
    public static Task SettleAsync(ServerProcess server, TimeSpan timeout) =>
        Eventually.UntilAsync(async () => (await Metrics.ScrapeAsync(server.BaseAddress, Stopwatch.StartNew())).Lag <= 0, timeout, "the queue lag to reach zero");
}
