using System.Diagnostics;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.Serialization;
using ViewingHistory.Queue.Embedded;

namespace ViewingHistory.Benchmarks.Queue;

/// <summary>Concurrent appenders on a fresh embedded queue, each awaiting its append's commit before the next.</summary>
internal static class QueueAppend
{
    public static async Task<Result> RunAsync(string directory, int appenders, int eventsPerBatch, TimeSpan duration, bool fastCommit = true)
    {
        await using var queue = new EmbeddedEventQueue(new EmbeddedQueueOptions { Directory = directory, FastCommitMode = fastCommit });
        await queue.InitializeAsync(CancellationToken.None);
        var batch = MakeBatch(eventsPerBatch);

        // Warm-up: JIT and the first segment file.
        for (var i = 0; i < 200; i++)
        {
            await queue.AppendAsync(batch, CancellationToken.None);
        }

        var latencies = new List<long>[appenders];
        var commitsBefore = queue.Commits;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
        {
            var mine = latencies[a] = new List<long>(1 << 16);
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                await queue.AppendAsync(batch, CancellationToken.None);
                mine.Add(Stopwatch.GetTimestamp() - started);
            }
        })));
        var seconds = clock.Elapsed.TotalSeconds;
        var commits = queue.Commits - commitsBefore;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Result(
            EventBatchCodec.Encode(batch).Length,
            all.Length / seconds,
            all.Length * (double)eventsPerBatch / seconds,
            commits / seconds,
            Percentile(all, 0.50),
            Percentile(all, 0.99));
    }

    private static double Percentile(long[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))] * 1000.0 / Stopwatch.Frequency;

    private static AcceptedBatch MakeBatch(int events) =>
        new(1_700_000_000_000, [.. Enumerable.Range(0, events).Select(i => new PlaybackEvent(
            $"6f9619ff-8b86-d011-b42d-00c04fc9{i:D4}", "member-0012345", "title-80100172", "session-2b1c7f0e", i,
            PlaybackEventType.Progress, 60_000L * i, 5_400_000, 1_700_000_000_000 + i, "tv"))]);

    internal readonly record struct Result(int EntryBytes, double BatchesPerSecond, double EventsPerSecond, double CommitsPerSecond, double P50Ms, double P99Ms);
}
