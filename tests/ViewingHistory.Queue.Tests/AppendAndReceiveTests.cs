using ViewingHistory.Testing;
using Xunit;
using static ViewingHistory.Queue.Tests.TestBatches;

namespace ViewingHistory.Queue.Tests;

public sealed class AppendAndReceiveTests
{
    [Fact(Timeout = 60_000)]
    public async Task An_appended_batch_is_received_whole_and_acknowledged()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path));
        await queue.AppendAsync(Make("a", 3), CancellationToken.None);
        await using var consumer = queue.OpenConsumer("processor");

        var deliveries = await ReceiveEntriesAsync(consumer, 1);
        await consumer.AckAsync(deliveries[0], CancellationToken.None);

        var entry = Assert.Single(deliveries[0].Entries);
        Assert.Null(entry.DecodeError);
        Assert.Equal(["a-0", "a-1", "a-2"], entry.Batch!.Events.Select(e => e.EventId));
        Assert.Equal(Make("a", 3).Events, entry.Batch.Events);
        Assert.Equal(0, consumer.LagEvents);
        await AssertNothingMoreAsync(consumer);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_delivery_holds_whole_batches_up_to_about_max_events()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path));
        for (var i = 0; i < 4; i++)
        {
            await queue.AppendAsync(Make("b" + i, 3), CancellationToken.None);
        }

        await using var consumer = queue.OpenConsumer("processor");
        var first = await consumer.ReceiveAsync(5, TimeSpan.FromSeconds(5), CancellationToken.None);

        // Two batches of 3 reach 5; a batch is never split to fit.
        Assert.Equal(2, first.Entries.Count);
        Assert.Equal(6, first.EventCount);
    }

    [Fact(Timeout = 60_000)]
    public async Task Receive_returns_empty_after_max_wait_when_nothing_is_appended()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path));
        await using var consumer = queue.OpenConsumer("processor");

        var delivery = await consumer.ReceiveAsync(100, TimeSpan.FromMilliseconds(50), CancellationToken.None);

        Assert.Empty(delivery.Entries);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_waiting_receive_wakes_up_when_a_batch_is_appended()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path));
        await using var consumer = queue.OpenConsumer("processor");

        var receiving = consumer.ReceiveAsync(100, TimeSpan.FromSeconds(20), CancellationToken.None).AsTask();
        await queue.AppendAsync(Make("late"), CancellationToken.None);
        var delivery = await receiving;

        Assert.Equal("late-0", Assert.Single(delivery.Entries).Batch!.Events[0].EventId);
    }

    [Fact(Timeout = 120_000)]
    public async Task Concurrent_appenders_are_all_durable_and_each_batch_is_received_once()
    {
        using var dir = new TempDirectory();
        const int appenders = 32;
        const int perAppender = 25;
        var expected = Enumerable.Range(0, appenders)
            .SelectMany(a => Enumerable.Range(0, perAppender).SelectMany(i => Make($"c{a}x{i}", 1 + (i % 3)).Events))
            .Select(e => e.EventId)
            .Order(StringComparer.Ordinal)
            .ToList();
        await using (var queue = await OpenAsync(Options(dir.Path)))
        {
            await using var live = queue.OpenConsumer("processor");
            var receiving = ReceiveEntriesAsync(live, appenders * perAppender, maxEvents: 7);
            await Task.WhenAll(Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
            {
                for (var i = 0; i < perAppender; i++)
                {
                    await queue.AppendAsync(Make($"c{a}x{i}", 1 + (i % 3)), CancellationToken.None);
                }
            })));

            // Received while the appends were going on: each exactly once.
            Assert.Equal(expected, EventIds(await receiving).Order(StringComparer.Ordinal));
            await AssertNothingMoreAsync(live);
        }

        // Reopened without any ack: every append that completed was committed, and all are delivered again.
        await using var reopened = await OpenAsync(Options(dir.Path));
        await using var consumer = reopened.OpenConsumer("processor");
        var ids = EventIds(await ReceiveEntriesAsync(consumer, appenders * perAppender));

        Assert.Equal(expected, ids.Order(StringComparer.Ordinal));
        await AssertNothingMoreAsync(consumer);
    }

    [Fact(Timeout = 60_000)]
    public async Task Appends_after_the_queue_is_disposed_fail_as_unavailable()
    {
        using var dir = new TempDirectory();
        var queue = await OpenAsync(Options(dir.Path));
        await queue.DisposeAsync();

        await Assert.ThrowsAsync<QueueUnavailableException>(async () => await queue.AppendAsync(Make("late"), CancellationToken.None));
        Assert.False(await queue.IsHealthyAsync(CancellationToken.None));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_second_queue_on_the_same_directory_is_refused_while_the_first_is_open()
    {
        using var dir = new TempDirectory();
        await using (var first = await OpenAsync(Options(dir.Path)))
        {
            var second = new Embedded.EmbeddedEventQueue(Options(dir.Path));
            await Assert.ThrowsAsync<InvalidOperationException>(() => second.InitializeAsync(CancellationToken.None));
            await second.DisposeAsync();
        }

        await using var reopened = await OpenAsync(Options(dir.Path));
        Assert.True(await reopened.IsHealthyAsync(CancellationToken.None));
    }

    [Fact(Timeout = 60_000)]
    public async Task Undecodable_bytes_are_delivered_as_poison_with_their_decode_error()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path));
        await queue.AppendAsync(Make("before"), CancellationToken.None);
        await queue.AppendRawAsync(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }, CancellationToken.None);
        await queue.AppendAsync(Make("after"), CancellationToken.None);
        await using var consumer = queue.OpenConsumer("processor");

        var entries = (await ReceiveEntriesAsync(consumer, 3)).SelectMany(d => d.Entries).ToList();

        Assert.NotNull(entries[0].Batch);
        Assert.Null(entries[1].Batch);
        Assert.False(string.IsNullOrEmpty(entries[1].DecodeError));
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }, entries[1].Payload.ToArray());
        Assert.Equal("after-0", entries[2].Batch!.Events[0].EventId);
    }

    [Fact(Timeout = 60_000)]
    public async Task Appends_fail_as_unavailable_once_the_size_bound_is_reached()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path) with { MaxBytes = 16 * 1024 });
        Assert.True(await queue.IsHealthyAsync(CancellationToken.None));

        var appended = 0;
        var refused = await Assert.ThrowsAsync<QueueUnavailableException>(async () =>
        {
            while (appended < 10_000)
            {
                await queue.AppendAsync(Make("full" + appended, 5), CancellationToken.None);
                appended++;
            }
        });

        Assert.InRange(appended, 1, 9_999);
        Assert.Contains("bound", refused.Message, StringComparison.Ordinal);
        Assert.False(await queue.IsHealthyAsync(CancellationToken.None));
    }

    [Fact(Timeout = 60_000)]
    public async Task Appends_fail_as_unavailable_when_the_disk_has_less_free_space_than_required()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path) with { MinFreeDiskBytes = long.MaxValue });

        await Assert.ThrowsAsync<QueueUnavailableException>(async () => await queue.AppendAsync(Make("nospace"), CancellationToken.None));
        Assert.False(await queue.IsHealthyAsync(CancellationToken.None));
    }
}
