using ViewingHistory.Testing;
using Xunit;
using static ViewingHistory.Queue.Tests.TestBatches;

namespace ViewingHistory.Queue.Tests;

public sealed class ConsumerPositionTests
{
    [Fact(Timeout = 60_000)]
    public async Task Reopening_resumes_after_the_acknowledged_entries_and_redelivers_the_rest()
    {
        using var dir = new TempDirectory();
        await using (var queue = await OpenAsync(Options(dir.Path)))
        {
            for (var i = 0; i < 4; i++)
            {
                await queue.AppendAsync(Make("r" + i), CancellationToken.None);
            }

            await using var consumer = queue.OpenConsumer("processor");
            var deliveries = await ReceiveEntriesAsync(consumer, 4, maxEvents: 1);
            await consumer.AckAsync(deliveries[0], CancellationToken.None);
            await consumer.AckAsync(deliveries[1], CancellationToken.None);
        }

        await using var reopened = await OpenAsync(Options(dir.Path));
        await using var again = reopened.OpenConsumer("processor");
        var redelivered = EventIds(await ReceiveEntriesAsync(again, 2));

        Assert.Equal(["r2-0", "r3-0"], redelivered);
        await AssertNothingMoreAsync(again);
    }

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
    public async Task Deliveries_can_be_pipelined_before_any_ack()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path));
        await using var consumer = queue.OpenConsumer("processor");
        for (var i = 0; i < 3; i++)
        {
            await queue.AppendAsync(Make("p" + i), CancellationToken.None);
        }

        var d = await ReceiveEntriesAsync(consumer, 3, maxEvents: 1);

        Assert.Equal(3, d.Count);
        Assert.Equal(["p0-0", "p1-0", "p2-0"], EventIds(d));
        await AssertNothingMoreAsync(consumer);
    }

    [Fact(Timeout = 60_000)]
    public async Task Two_consumers_read_the_same_log_independently()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path));
        await using var processor = queue.OpenConsumer("processor");
        await using var archive = queue.OpenConsumer("archive");
        for (var i = 0; i < 3; i++)
        {
            await queue.AppendAsync(Make("t" + i, 2), CancellationToken.None);
        }

        var fromProcessor = await ReceiveEntriesAsync(processor, 3);
        foreach (var d in fromProcessor)
        {
            await processor.AckAsync(d, CancellationToken.None);
        }

        var fromArchive = await ReceiveEntriesAsync(archive, 3);

        Assert.Equal(EventIds(fromProcessor), EventIds(fromArchive));
        Assert.Equal(0, processor.LagEvents);
        Assert.Equal(6, archive.LagEvents);
    }

    [Fact(Timeout = 60_000)]
    public async Task Handles_with_the_same_name_share_the_entries_instead_of_each_reading_all()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path));
        await using var first = queue.OpenConsumer("processor");
        await using var second = queue.OpenConsumer("processor");
        for (var i = 0; i < 6; i++)
        {
            await queue.AppendAsync(Make("s" + i), CancellationToken.None);
        }

        var a = await ReceiveEntriesAsync(first, 3, maxEvents: 1);
        var b = await ReceiveEntriesAsync(second, 3, maxEvents: 1);

        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"s{i}-0"), EventIds(a).Concat(EventIds(b)).Order(StringComparer.Ordinal));
        await AssertNothingMoreAsync(first);
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

    [Fact(Timeout = 60_000)]
    public async Task Reopening_a_consumer_after_its_last_handle_closed_redelivers_what_was_not_acknowledged()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path));
        await queue.AppendAsync(Make("k0"), CancellationToken.None);
        await queue.AppendAsync(Make("k1"), CancellationToken.None);
        await using (var consumer = queue.OpenConsumer("processor"))
        {
            var d = await ReceiveEntriesAsync(consumer, 2, maxEvents: 1);
            await consumer.AckAsync(d[0], CancellationToken.None);
        }

        await using var again = queue.OpenConsumer("processor");
        Assert.Equal(["k1-0"], EventIds(await ReceiveEntriesAsync(again, 1)));
    }
}
