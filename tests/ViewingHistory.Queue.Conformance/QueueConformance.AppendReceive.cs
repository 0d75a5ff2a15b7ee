namespace ViewingHistory.Queue.Conformance;

// Appends and receives: what goes in comes out whole, decoded, once, and in the sizes asked for.
public abstract partial class QueueConformance
{
    [Fact(Timeout = 120_000)]
    public async Task An_appended_batch_is_delivered_whole_with_its_events_decoded()
    {
        var batch = Batch("whole", 5);
        await AppendAsync(batch);
        await using var consumer = Queue.OpenConsumer("processor");

        var delivery = Assert.Single(await ReceiveAsync(consumer, 1));
        await consumer.AckAsync(delivery, Token);

        var entry = Assert.Single(delivery.Entries);
        Assert.Null(entry.DecodeError);
        Assert.Equal(1, entry.DeliveryCount);
        Assert.False(string.IsNullOrEmpty(entry.Id));
        Assert.NotNull(entry.Batch);
        Assert.Equal(batch.AcceptedAtMs, entry.Batch.AcceptedAtMs);
        Assert.Equal(batch.Events, entry.Batch.Events);
        Assert.Equal(5, delivery.EventCount);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_receive_with_nothing_appended_ends_empty_after_its_max_wait()
    {
        await using var consumer = Queue.OpenConsumer("processor");

        var delivery = await consumer.ReceiveAsync(100, TimeSpan.FromSeconds(1), Token);

        Assert.Empty(delivery.Entries);
        Assert.Equal(0, delivery.EventCount);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_waiting_receive_wakes_up_when_a_batch_is_appended()
    {
        await using var consumer = Queue.OpenConsumer("processor");

        // The wait is far longer than the test's other waits: the receive must end because the batch came.
        var receiving = consumer.ReceiveAsync(100, TimeSpan.FromSeconds(60), Token).AsTask();
        await AppendAsync(Batch("late"));
        var delivery = await receiving.WaitAsync(WaitLimit, Token);

        Assert.Equal("late-e0", FirstEventId(Assert.Single(delivery.Entries)));
    }

    [Fact(Timeout = 180_000)]
    public async Task Concurrent_appends_are_all_delivered()
    {
        const int appenders = 16;
        const int perAppender = 8;
        var batches = Enumerable.Range(0, appenders)
            .Select(a => Enumerable.Range(0, perAppender).Select(i => Batch($"c{a}x{i}", 1 + (i % 3))).ToList())
            .ToList();
        var expected = batches.SelectMany(b => b).SelectMany(b => b.Events).Select(e => e.EventId).Order(StringComparer.Ordinal).ToList();
        await using var consumer = Queue.OpenConsumer("processor");

        // Received and acknowledged while the appends are going on.
        var receiving = ReceiveAsync(consumer, appenders * perAppender, maxEvents: 7, ack: true);
        await Task.WhenAll(batches.Select(own => Task.Run(async () =>
        {
            foreach (var batch in own)
            {
                await AppendAsync(batch);
            }
        })));
        var entries = (await receiving).SelectMany(d => d.Entries).ToList();

        Assert.Equal(expected, entries.SelectMany(EventIds).Distinct().Order(StringComparer.Ordinal));

        // At least once allows a redelivery, never a second first delivery: an entry delivered twice must say so
        // where the engine counts deliveries (a stalled ack outliving the ack wait on a busy machine).
        var firstDeliveries = entries.Where(e => e.DeliveryCount == 1).Select(e => e.Id).ToList();
        Assert.Equal(firstDeliveries.Count, firstDeliveries.Distinct().Count());
        Assert.All(entries, e => Assert.Equal(e.Batch!.Events.Count, EventIds(e).Count()));
        await AssertNothingDeliveredAsync(consumer, TimeSpan.FromSeconds(1));
    }

    [Fact(Timeout = 120_000)]
    public async Task Deliveries_respect_max_events_without_splitting_a_batch()
    {
        for (var i = 0; i < 4; i++)
        {
            await AppendAsync(Batch("m" + i, 3));
        }

        await using var consumer = Queue.OpenConsumer("processor");

        // Fewer events asked for than one batch holds: the whole batch comes, alone.
        var one = Assert.Single(await ReceiveAsync(consumer, 1, maxEvents: 1));
        Assert.Equal(["m0-e0", "m0-e1", "m0-e2"], EventIds([one]));

        // Five asked for in batches of three: whole batches only, at most one batch beyond the ask ("about").
        var some = Assert.Single(await ReceiveAsync(consumer, 1, maxEvents: 5));
        Assert.All(some.Entries, e => Assert.Equal(3, e.Batch!.Events.Count));
        Assert.InRange(some.EventCount, 3, 5 + 3 - 1);

        var rest = await ReceiveAsync(consumer, 3 - some.Entries.Count);
        Assert.Equal(
            Enumerable.Range(0, 4).SelectMany(i => Batch("m" + i, 3).Events).Select(e => e.EventId),
            EventIds([one, some, .. rest]));
    }

    [Fact(Timeout = 120_000)]
    public async Task Deliveries_can_be_pipelined_before_any_ack_in_append_order()
    {
        for (var i = 0; i < 3; i++)
        {
            await AppendAsync(Batch("p" + i));
        }

        await using var consumer = Queue.OpenConsumer("processor");
        var deliveries = await ReceiveAsync(consumer, 3, maxEvents: 1);

        Assert.Equal(3, deliveries.Count);
        Assert.Equal(["p0-e0", "p1-e0", "p2-e0"], EventIds(deliveries));
        Assert.Equal(3, deliveries.SelectMany(d => d.Entries).Select(e => e.Id).Distinct().Count());
    }

    [Fact(Timeout = 120_000)]
    public async Task Undecodable_bytes_are_delivered_as_poison_with_their_decode_error_between_good_batches()
    {
        await AppendAsync(Batch("before"));
        await AppendUndecodableAsync([0xDE, 0xAD, 0xBE, 0xEF]);
        await AppendAsync(Batch("after"));
        await using var consumer = Queue.OpenConsumer("processor");

        var entries = (await ReceiveAsync(consumer, 3)).SelectMany(d => d.Entries).ToList();

        Assert.Equal(3, entries.Count);
        Assert.Equal("before-e0", FirstEventId(entries[0]));
        Assert.Null(entries[1].Batch);
        Assert.False(string.IsNullOrEmpty(entries[1].DecodeError));
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }, entries[1].Payload.ToArray());
        Assert.Equal("after-e0", FirstEventId(entries[2]));
    }
}
