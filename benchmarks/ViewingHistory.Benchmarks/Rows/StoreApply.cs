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
    public sealed record Result(double EventsPerSecond, double SessionsPerSecond, double Coalescing, double MeanBatchMs);

    public static async Task<Result> RunAsync(IHistoryStore store, TimeSpan duration, int active = 2000, int batch = 4000)
    {
        await store.InitializeAsync(CancellationToken.None);
        var workload = new Workload("apply" + Guid.NewGuid().ToString("N")[..6], active);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long next = 0;
        long sessions = 0;
        var batches = 0;
        var applying = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var reduced = new Dictionary<SessionKey, SessionState>();
            for (var k = 0; k < batch; k++)
            {
                var (key, state) = workload.Session(next++, now);
                reduced[key] = reduced.TryGetValue(key, out var old) ? SessionState.Merge(old, state) : state;
            }

            var started = clock.Elapsed;
            await store.ApplyAsync(reduced, CancellationToken.None);
            applying += clock.Elapsed - started;
            sessions += reduced.Count;
            batches++;
        }

        return new Result(next / applying.TotalSeconds, sessions / applying.TotalSeconds, next / (double)sessions, applying.TotalMilliseconds / batches);
    }
}
