using ViewingHistory.Testing;
using Xunit;
using static ViewingHistory.Queue.Tests.TestBatches;

namespace ViewingHistory.Queue.Tests;

public sealed class TruncationTests
{
    private const int Batches = 2000;

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

        var bytesBefore = LogFiles.Bytes(dir.Path);
        var retainedBefore = queue.RetainedBytes;
        await queue.TruncateAsync(CancellationToken.None);
        Assert.Equal(retainedBefore, queue.RetainedBytes);
        Assert.Equal(["archive", "processor"], queue.ConsumerNames);

        Assert.True(await queue.RetireConsumerAsync("archive", CancellationToken.None));
        Assert.Equal(["processor"], queue.ConsumerNames);
        await queue.TruncateAsync(CancellationToken.None);
        Assert.True(queue.RetainedBytes < retainedBefore / 2);
        await Eventually.UntilAsync(() => Task.FromResult(LogFiles.Bytes(dir.Path)), bytes => bytes < bytesBefore / 2, WaitLimit, "segments below the truncation to be deleted");
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
}
