using System.Diagnostics;
using ViewingHistory.Benchmarks.Harness;
using ViewingHistory.Core.History;
using ViewingHistory.Store;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// The store alone, in this process: <see cref="IHistoryStore.ApplyAsync"/> of the heartbeat workload reduced in
/// batches of 4,000 events (the processor's default batch), one caller. What the processor could reach with no queue,
/// no HTTP and no second process on the cores.
/// </summary>
public static class StoreApply
{
    public sealed record Result(double EventsPerSecond, double SessionsPerSecond, double Coalescing, double MeanBatchMs, double CpuMicrosecondsPerSession);

    public static async Task<Result> RunAsync(IHistoryStore store, TimeSpan duration, int active = 2000, int batch = 4000)
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
        var warmUp = TimeSpan.FromSeconds(Math.Min(2, duration.TotalSeconds / 3));
        while (clock.Elapsed < duration + warmUp)
        {
            if (clock.Elapsed < warmUp)
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
