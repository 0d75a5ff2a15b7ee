using System.Diagnostics;
using ViewingHistory.Benchmarks.Harness;
using ViewingHistory.Core.History;
using ViewingHistory.Store;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// The store alone, in this process: <see cref="IHistoryStore.ApplyAsync"/> of a workload reduced in batches (8,000
/// events in row 3: one worker's half of the processor's 16,000-event batch), one caller. What the processor could reach with no queue,
/// no HTTP and no second process on the cores.
/// </summary>
public static class StoreApply
{
    public sealed record Result(double EventsPerSecond, double SessionsPerSecond, double Coalescing, double MeanBatchMs, double CpuMicrosecondsPerSession);

    public static async Task<Result> RunAsync(IHistoryStore store, TimeSpan duration, int active = 2000, int batch = 4000, TimeSpan? maxWarmUp = null)
    {
        await store.InitializeAsync(CancellationToken.None);
        var workload = new Workload("apply" + Guid.NewGuid().ToString("N")[..6], active);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long next = 0;
        long total = 0;
        var cpu = TimeSpan.Zero;
        long sessions = 0;
        var batches = 0;
        var applying = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        // Not counted: the first 2 s (the JIT tiers up), and the first visit of every session up to maxWarmUp (30 s; in a fleet's
        // steady state a heartbeat updates a session that exists: a session lasts ~60 of them).
        var warmUp = TimeSpan.FromSeconds(Math.Min(2, duration.TotalSeconds / 3));
        var warm = false;
        while (!warm || clock.Elapsed < duration + warmUp)
        {
            if (!warm && (clock.Elapsed >= (maxWarmUp ?? TimeSpan.FromSeconds(30)) || (clock.Elapsed >= warmUp && total >= active)))
            {
                (warm, warmUp) = (true, clock.Elapsed);
            }

            if (!warm)
            {
                // Tiered JIT: the first batches run unoptimized code; they are not counted.
                (next, sessions, batches, applying) = (0, 0, 0, TimeSpan.Zero);
                cpu = Process.GetCurrentProcess().TotalProcessorTime;
            }

            var reduced = new Dictionary<SessionKey, SessionState>();
            var first = total;
            total += batch;
            next += batch;
            for (var k = 0; k < batch; k++)
            {
                var (key, state) = workload.Session(first + k, now);
                reduced[key] = reduced.TryGetValue(key, out var old) ? SessionState.Merge(old, state) : state;
            }

            var started = clock.Elapsed;
            await store.ApplyAsync(reduced, CancellationToken.None);
            applying += clock.Elapsed - started;
            sessions += reduced.Count;
            batches++;
        }

        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        return new Result(next / applying.TotalSeconds, sessions / applying.TotalSeconds, next / (double)sessions, applying.TotalMilliseconds / batches, cpuUsed.TotalMicroseconds / sessions);
    }
}
