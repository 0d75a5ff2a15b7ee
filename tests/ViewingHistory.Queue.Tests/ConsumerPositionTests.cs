using ViewingHistory.Testing;
using Xunit;
using static ViewingHistory.Queue.Tests.TestBatches;

namespace ViewingHistory.Queue.Tests;

public sealed class ConsumerPositionTests
{
    [Fact(Timeout = 60_000)]
    public async Task Out_of_order_acks_move_the_watermark_only_past_contiguous_deliveries()
    {
        using var dir = new TempDirectory();
        await using (var queue = await OpenAsync(Options(dir.Path)))
        {
            for (var i = 0; i < 4; i++)
            {
                await queue.AppendAsync(Make("o" + i), CancellationToken.None);
            }

            await using var consumer = queue.OpenConsumer("processor");
            var d = await ReceiveEntriesAsync(consumer, 4, maxEvents: 1);
            await consumer.AckAsync(d[3], CancellationToken.None);
            await consumer.AckAsync(d[1], CancellationToken.None);
            Assert.Equal(4, consumer.LagEvents);
        }

        await using (var queue = await OpenAsync(Options(dir.Path)))
        {
            await using var consumer = queue.OpenConsumer("processor");
            var d = await ReceiveEntriesAsync(consumer, 4, maxEvents: 1);
            Assert.Equal(["o0-0", "o1-0", "o2-0", "o3-0"], EventIds(d));

            await consumer.AckAsync(d[1], CancellationToken.None);
            await consumer.AckAsync(d[0], CancellationToken.None);
            Assert.Equal(2, consumer.LagEvents);
        }

        await using var last = await OpenAsync(Options(dir.Path));
        await using var resumed = last.OpenConsumer("processor");
        Assert.Equal(["o2-0", "o3-0"], EventIds(await ReceiveEntriesAsync(resumed, 2)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Lag_in_events_is_kept_across_reopen()
    {
        using var dir = new TempDirectory();
        await using (var queue = await OpenAsync(Options(dir.Path)))
        {
            await using var consumer = queue.OpenConsumer("processor");
            await using var archive = queue.OpenConsumer("archive");
            await queue.AppendAsync(Make("l0", 5), CancellationToken.None);
            await queue.AppendAsync(Make("l1", 7), CancellationToken.None);
            await queue.AppendAsync(Make("l2", 11), CancellationToken.None);
            var d = await ReceiveEntriesAsync(consumer, 3, maxEvents: 1);
            await consumer.AckAsync(d[0], CancellationToken.None);
            Assert.Equal(18, consumer.LagEvents);
            Assert.Equal(23, archive.LagEvents);
        }

        await using var reopened = await OpenAsync(Options(dir.Path));
        await using var again = reopened.OpenConsumer("processor");
        await using var archiveAgain = reopened.OpenConsumer("archive");
        Assert.Equal(23, reopened.AppendedEvents);
        Assert.Equal(18, again.LagEvents);
        Assert.Equal(23, archiveAgain.LagEvents);

        await reopened.AppendAsync(Make("l3", 2), CancellationToken.None);
        var rest = await ReceiveEntriesAsync(again, 3);
        foreach (var d in rest)
        {
            await again.AckAsync(d, CancellationToken.None);
        }

        Assert.Equal(0, again.LagEvents);
        Assert.Equal(25, archiveAgain.LagEvents);
    }

    [Fact(Timeout = 60_000)]
    public async Task Acknowledging_a_delivery_of_another_consumer_is_refused()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path));
        await using var processor = queue.OpenConsumer("processor");
        await using var archive = queue.OpenConsumer("archive");
        await queue.AppendAsync(Make("x"), CancellationToken.None);
        var delivery = (await ReceiveEntriesAsync(processor, 1))[0];

        await Assert.ThrowsAsync<ArgumentException>(async () => await archive.AckAsync(delivery, CancellationToken.None));
    }

    [Fact(Timeout = 60_000)]
    public async Task Acknowledging_a_delivery_twice_is_harmless()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path));
        await using var consumer = queue.OpenConsumer("processor");
        await queue.AppendAsync(Make("twice", 2), CancellationToken.None);
        await queue.AppendAsync(Make("next", 3), CancellationToken.None);
        var d = await ReceiveEntriesAsync(consumer, 2, maxEvents: 1);

        await consumer.AckAsync(d[0], CancellationToken.None);
        await consumer.AckAsync(d[0], CancellationToken.None);

        Assert.Equal(3, consumer.LagEvents);
    }
}
