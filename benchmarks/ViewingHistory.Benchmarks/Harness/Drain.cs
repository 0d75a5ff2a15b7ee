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
        double DrainRowsPerSecond, double Coalescing, double WhileIngestingEventsPerSecond, double DrainSeconds, double Backlog, double Load, List<Sample> Samples);

    /// <summary>
    /// Writes <paramref name="events"/> heartbeat events (100 per entry, as 100-event requests would) straight into the
    /// embedded log of <paramref name="dataDir"/> with the queue's own append, then starts the server on it: its
    /// processor faces the whole backlog with no ingest beside it, and the drain rate is measured from the first scrape
    /// until the lag is zero. (The embedded queue refuses split roles, so there is no other way to pause processing;
    /// and on these 2 cores ingest alone does not outrun the processor by enough to build a backlog.)
    /// </summary>
    public static async Task<BacklogResult> BacklogAsync(Func<Task<ServerProcess>> start, string dataDir, long events, string run, TimeSpan timeout, int active = 2000)
    {
        var fill = Stopwatch.StartNew();
        await using (var queue = new ViewingHistory.Queue.Embedded.EmbeddedEventQueue(new ViewingHistory.Queue.Embedded.EmbeddedQueueOptions { Directory = Path.Combine(dataDir, "queue") }))
        {
            await queue.InitializeAsync(CancellationToken.None);
            var workload = new Workload(run, active);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            long next = 0;
            await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                long first;
                while ((first = Interlocked.Add(ref next, 100) - 100) < events)
                {
                    var batch = new ViewingHistory.Core.Events.AcceptedBatch(now, [.. Enumerable.Range(0, 100).Select(k => workload.Event(first + k, now))]);
                    await queue.AppendAsync(batch, CancellationToken.None);
                }
            })));
        }

        var ingestSeconds = fill.Elapsed.TotalSeconds;
        var (ingestedPerSecond, processedWhileIngesting) = (events / ingestSeconds, 0.0);
        await using var server = await start();
        var clock = Stopwatch.StartNew();
        var samples = new List<Sample>();
        var initial = await Metrics.ScrapeAsync(server.BaseAddress, clock);
        samples.Add(new Sample(initial.At.TotalSeconds, 0, initial.Processed, initial.Rows, initial.Lag));
        while (clock.Elapsed < timeout && samples[^1].Lag > 0)
        {
            await Task.Delay(Drain.Interval);
            var m = await Metrics.ScrapeAsync(server.BaseAddress, clock);
            samples.Add(new Sample(m.At.TotalSeconds, 0, m.Processed, m.Rows, m.Lag));
        }

        var loadAverage = Children.LoadAverage();
        var (s0, s1) = (samples[0], samples[^1]);
        var seconds = s1.T - s0.T;
        return new BacklogResult(
            events,
            ingestSeconds,
            ingestedPerSecond,
            seconds > 0 ? (s1.Processed - s0.Processed) / seconds : double.NaN,
            seconds > 0 ? (s1.Rows - s0.Rows) / seconds : double.NaN,
            (s1.Processed - s0.Processed) / Math.Max(1, s1.Rows - s0.Rows),
            processedWhileIngesting,
            seconds,
            s0.Lag,
            loadAverage,
            samples);
    }

    public sealed record SteadyResult(double Rate, double Seconds, double IngestedPerSecond, double ProcessedPerSecond, double Coalescing, double LagStart, double LagEnd, double LagMax, double Errors, double Load, bool Bounded, List<Sample> Samples);

    /// <summary>
    /// Offers <paramref name="eventsPerSecond"/> (100-event requests, open loop) for <paramref name="duration"/> with
    /// the processor running. Lag is bounded when it ends below two seconds' worth of events and the processor took at
    /// least 97 % of what was ingested over the window (in a short window a lag growing all along can still end under
    /// two seconds' worth).
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
            lagEnd < 2 * eventsPerSecond && end.Processed >= 0.97 * end.Ingested, samples);
    }

    /// <summary>
    /// Brings a fresh server to its steady state before a rate is measured on it (row 1's rule, for processing): open-loop
    /// load of <paramref name="eventsPerSecond"/> in 3 s slices of the workload's stream from <paramref name="first"/>
    /// until, in the last slice, the tiered JIT thread used under 5 % of a core and the processor kept up (the lag ended
    /// under one second of events); at least two slices, at most <paramref name="max"/>; then waits for the lag to
    /// reach zero. A fresh process's first seconds are row 9's subject, not the sustained rate's: measured cold, the
    /// first step of a search fell behind while the JIT still took a large share of a core (benchmarks/NOTES.md).
    /// Returns the seconds it took and the next event of the stream.
    /// </summary>
    public static async Task<(double Seconds, long NextEvent)> WarmAsync(ServerProcess server, double eventsPerSecond, string run, int active, TimeSpan max, long first = 0)
    {
        var clock = Stopwatch.StartNew();
        var phases = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{eventsPerSecond / 100:F1}:3");
        for (var slice = 1; clock.Elapsed < max; slice++)
        {
            var jit = ServerCost.JitTicks(server.Pid);
            var started = clock.Elapsed;
            first = (await Children.LoadAsync(server.BaseAddress, phases, 100, run, first: first, active: active)).NextEvent;
            var jitShare = (ServerCost.JitTicks(server.Pid) - jit) * ServerCost.TickMicroseconds / (clock.Elapsed - started).TotalMicroseconds;
            var lag = (await Metrics.ScrapeAsync(server.BaseAddress, clock)).Lag;
            if (slice >= 2 && jitShare < 0.05 && lag < eventsPerSecond)
            {
                break;
            }
        }

        await SettleAsync(server, TimeSpan.FromSeconds(120));
        return (clock.Elapsed.TotalSeconds, first);
    }

    /// <summary>Waits until the lag is zero (for the next measurement to start clean).</summary>
    public static Task SettleAsync(ServerProcess server, TimeSpan timeout) =>
        Eventually.UntilAsync(async () => (await Metrics.ScrapeAsync(server.BaseAddress, Stopwatch.StartNew())).Lag <= 0, timeout, "the queue lag to reach zero");
}
