using ViewingHistory.Testing;
using Xunit;
using static ViewingHistory.Queue.Tests.TestBatches;

namespace ViewingHistory.Queue.Tests;

public sealed class TruncationTests
{
    private const int Batches = 2000;

    [Fact(Timeout = 120_000)]
    public async Task Periodic_truncation_frees_segments_below_the_slowest_consumer_and_keeps_its_unacked_entries()
    {
        using var dir = new TempDirectory();
        var options = Options(dir.Path) with { TruncateInterval = TimeSpan.FromMilliseconds(100) };
        long bytesBefore;
        await using (var queue = await OpenAsync(options))
        {
            await using var processor = queue.OpenConsumer("processor");
            await using var archive = queue.OpenConsumer("archive");
            await AppendManyAsync(queue);
            bytesBefore = LogFileBytes(dir.Path);
            Assert.True(LogSegmentCount(dir.Path) >= 4, "the test needs several segments to free some");

            foreach (var d in await ReceiveEntriesAsync(processor, Batches, maxEvents: 1000))
            {
                await processor.AckAsync(d, CancellationToken.None);
            }

            var archived = await ReceiveEntriesAsync(archive, Batches, maxEvents: 10);
            foreach (var d in archived.Take(Batches * 3 / 4))
            {
                await archive.AckAsync(d, CancellationToken.None);
            }

            await Eventually.UntilAsync(() => Task.FromResult(LogFileBytes(dir.Path)), bytes => bytes < bytesBefore / 2, WaitLimit, "truncation to free log segments");
        }

        await using var reopened = await OpenAsync(options);
        await using var archiveAgain = reopened.OpenConsumer("archive");
        var rest = EventIds(await ReceiveEntriesAsync(archiveAgain, Batches / 4));
        Assert.Equal(Enumerable.Range(Batches * 3 / 4, Batches / 4).SelectMany(i => Make("t" + i, 10).Events).Select(e => e.EventId), rest);
        Assert.Equal(Batches / 4 * 10, archiveAgain.LagEvents);
        await AssertNothingMoreAsync(archiveAgain);
    }

    [Fact(Timeout = 120_000)]
    public async Task An_acknowledged_position_reaches_disk_within_the_checkpoint_interval_without_closing()
    {
        using var dir = new TempDirectory();
        var options = Options(dir.Path) with { TruncateInterval = TimeSpan.FromHours(1), CheckpointInterval = TimeSpan.FromMilliseconds(100) };
        await using var queue = await OpenAsync(options);
        await using var processor = queue.OpenConsumer("processor");
        await AppendManyAsync(queue);
        var retainedBefore = queue.RetainedBytes;
        foreach (var d in await ReceiveEntriesAsync(processor, Batches, maxEvents: 1000))
        {
            await processor.AckAsync(d, CancellationToken.None);
        }

        // Truncation goes only below persisted positions, so it frees the log once the checkpointer has written one.
        await Eventually.UntilAsync(
            async () =>
            {
                await queue.TruncateAsync(CancellationToken.None);
                return queue.RetainedBytes;
            },
            retained => retained < retainedBefore / 2,
            WaitLimit,
            "the acknowledged position to be checkpointed");
    }

    [Fact(Timeout = 120_000)]
    public async Task A_registered_consumer_not_opened_in_this_run_holds_truncation_back_until_removed()
    {
        using var dir = new TempDirectory();
        var options = Options(dir.Path) with { TruncateInterval = TimeSpan.FromHours(1), CheckpointInterval = TimeSpan.Zero };
        await using (var first = await OpenAsync(options))
        {
            await using var archive = first.OpenConsumer("archive");
        }

        await using var queue = await OpenAsync(options);
        await using var processor = queue.OpenConsumer("processor");
        await AppendManyAsync(queue);
        foreach (var d in await ReceiveEntriesAsync(processor, Batches, maxEvents: 1000))
        {
            await processor.AckAsync(d, CancellationToken.None);
        }

        var bytesBefore = LogFileBytes(dir.Path);
        var retainedBefore = queue.RetainedBytes;
        await queue.TruncateAsync(CancellationToken.None);
        Assert.Equal(retainedBefore, queue.RetainedBytes);
        Assert.Equal(["archive", "processor"], queue.ConsumerNames);

        Assert.True(await queue.RetireConsumerAsync("archive", CancellationToken.None));
        Assert.Equal(["processor"], queue.ConsumerNames);
        await queue.TruncateAsync(CancellationToken.None);
        Assert.True(queue.RetainedBytes < retainedBefore / 2);
        await Eventually.UntilAsync(() => Task.FromResult(LogFileBytes(dir.Path)), bytes => bytes < bytesBefore / 2, WaitLimit, "segments below the truncation to be deleted");
        Assert.False(await queue.RetireConsumerAsync("archive", CancellationToken.None));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_consumer_created_after_truncation_starts_at_the_oldest_retained_entry_with_the_right_lag()
    {
        using var dir = new TempDirectory();
        var options = Options(dir.Path) with { TruncateInterval = TimeSpan.FromHours(1) };
        await using var queue = await OpenAsync(options);
        await using (var processor = queue.OpenConsumer("processor"))
        {
            await AppendManyAsync(queue);
            foreach (var d in (await ReceiveEntriesAsync(processor, Batches, maxEvents: 10)).Take(Batches / 2))
            {
                await processor.AckAsync(d, CancellationToken.None);
            }
        }

        await queue.TruncateAsync(CancellationToken.None);
        await using var shadow = queue.OpenConsumer("shadow");

        Assert.Equal(Batches / 2 * 10, shadow.LagEvents);
        var first = (await ReceiveEntriesAsync(shadow, 1, maxEvents: 1))[0];
        Assert.Equal($"t{Batches / 2}-0", first.Entries[0].Batch!.Events[0].EventId);
    }

    private static async Task AppendManyAsync(Embedded.EmbeddedEventQueue queue)
    {
        // Sequential within a writer keeps log order equal to batch order, which the assertions rely on.
        for (var i = 0; i < Batches; i++)
        {
            await queue.AppendAsync(Make("t" + i, 10), CancellationToken.None);
        }
    }

    private static IEnumerable<FileInfo> LogSegments(string directory) =>
        new DirectoryInfo(Path.Combine(directory, "log")).EnumerateFiles("events.*", SearchOption.TopDirectoryOnly);

    private static int LogSegmentCount(string directory) => LogSegments(directory).Count();

    private static long LogFileBytes(string directory)
    {
        long bytes = 0;
        foreach (var file in LogSegments(directory))
        {
            try
            {
                bytes += file.Length;
            }
            catch (FileNotFoundException)
            {
                // Deleted by truncation between the listing and the stat.
            }
        }

        return bytes;
    }
}
