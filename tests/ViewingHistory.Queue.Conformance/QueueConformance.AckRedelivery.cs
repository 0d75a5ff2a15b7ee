namespace ViewingHistory.Queue.Conformance;

// Acknowledgement and redelivery (at least once, DESIGN.md principle 3): what was acknowledged is not delivered again;
// what was not comes back, after a reopen and wherever the engine has an ack wait, after it.
public abstract partial class QueueConformance
{
    [Fact(Timeout = 180_000)]
    public async Task An_acknowledged_delivery_is_not_delivered_again_to_the_same_consumer_after_reopening()
    {
        await AppendAsync(Batch("done0"));
        await AppendAsync(Batch("done1"));
        await using (var consumer = Queue.OpenConsumer("processor"))
        {
            await ReceiveAsync(consumer, 2, maxEvents: 1, ack: true);
        }

        await ReopenAsync();
        await using var again = Queue.OpenConsumer("processor");
        await AppendAsync(Batch("fresh"));

        // The fresh batch comes first and alone; an acknowledged one would come with it or within an ack wait.
        Assert.Equal(["fresh-e0"], EventIds(await ReceiveAsync(again, 1, ack: true)));
        await AssertNothingDeliveredAsync(again, RedeliveryWindow);
    }

    [Fact(Timeout = 180_000)]
    public async Task An_unacknowledged_delivery_is_delivered_again_after_the_consumer_is_reopened_with_a_higher_delivery_count_where_counted()
    {
        var batch = Batch("again", 2);
        await AppendAsync(batch);
        QueueEntry first;
        await using (var consumer = Queue.OpenConsumer("processor"))
        {
            first = Assert.Single(Assert.Single(await ReceiveAsync(consumer, 1)).Entries);
            Assert.Equal(1, first.DeliveryCount);
        }

        await using var reopened = Queue.OpenConsumer("processor");

        // An engine may hand a message out again without counting it (JetStream, for a pull it judged undelivered),
        // so wait for the counted redelivery rather than expect it to be the very next one.
        var again = await ReceiveUntilAsync(
            reopened,
            e => e.Id == first.Id && (!CountsRedeliveries || e.DeliveryCount > first.DeliveryCount),
            "the unacknowledged entry");

        Assert.Equal(batch.Events, again.Batch!.Events);
        if (CountsRedeliveries)
        {
            Assert.InRange(again.DeliveryCount, 2, MaxDeliveries ?? int.MaxValue);
        }
        else
        {
            Assert.Equal(1, again.DeliveryCount);
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task Out_of_order_acks_never_move_the_position_past_an_unacknowledged_entry()
    {
        for (var i = 0; i < 4; i++)
        {
            await AppendAsync(Batch("o" + i));
        }

        await using (var consumer = Queue.OpenConsumer("processor"))
        {
            var d = await ReceiveAsync(consumer, 4, maxEvents: 1);
            Assert.Equal(4, d.Count);
            await consumer.AckAsync(d[3], Token);
            await consumer.AckAsync(d[1], Token);
        }

        await ReopenAsync();
        await using var resumed = Queue.OpenConsumer("processor");

        // The unacknowledged o0 and o2 must come back. Whether o1 and o3 come with them is the engine's granularity:
        // a watermark cannot step over o0, per-message acks settled them.
        string[] expected = AcknowledgesEachEntry ? ["o0-e0", "o2-e0"] : ["o0-e0", "o1-e0", "o2-e0", "o3-e0"];
        var redelivered = await ReceiveDistinctAsync(resumed, expected.Length);
        Assert.Equal(expected, redelivered.SelectMany(EventIds).Order(StringComparer.Ordinal));
        await AssertNothingDeliveredAsync(resumed, RedeliveryWindow);
    }

    [Fact(Timeout = 180_000)]
    public async Task KeepAlive_keeps_a_delivery_from_being_redelivered_meanwhile()
    {
        await AppendAsync(Batch("alive"));
        await using var holder = Queue.OpenConsumer("processor");
        await using var rival = Queue.OpenConsumer("processor");
        var delivery = Assert.Single(await ReceiveAsync(holder, 1));

        // Several ack waits pass with keep-alives in between (where the engine has none, a few seconds): another
        // instance of the same consumer, and the holder itself, get nothing meanwhile.
        var holdFor = AckWait is { } wait ? wait * 2.5 : TimeSpan.FromSeconds(3);
        var until = DateTime.UtcNow + holdFor;
        while (DateTime.UtcNow < until)
        {
            await holder.KeepAliveAsync(delivery, Token);
            Assert.Empty((await rival.ReceiveAsync(10, TimeSpan.FromMilliseconds(400), Token)).Entries);
            Assert.Empty((await holder.ReceiveAsync(10, TimeSpan.FromMilliseconds(100), Token)).Entries);
        }

        await holder.AckAsync(delivery, Token);
        await AssertNothingDeliveredAsync(rival, RedeliveryWindow);
    }

    [Fact(Timeout = 180_000)]
    public async Task Redelivery_of_an_unacknowledged_entry_stops_after_MaxDeliveries_only_where_the_engine_has_that_limit()
    {
        await AppendAsync(Batch("limit"));
        var attempts = MaxDeliveries ?? 3;
        var delivered = 0;
        while (delivered < attempts)
        {
            await using var consumer = Queue.OpenConsumer("processor");
            Assert.Equal(MaxDeliveries, consumer.MaxDeliveries);
            var entry = await ReceiveUntilAsync(
                consumer,
                e => FirstEventId(e) == "limit-e0" && (!CountsRedeliveries || e.DeliveryCount > delivered),
                $"delivery {delivered + 1} of {attempts}");

            // Counted deliveries may skip one (a message the server sent to a pull that had just expired counts).
            delivered = CountsRedeliveries ? entry.DeliveryCount : delivered + 1;
            Assert.InRange(delivered, 1, attempts);
        }

        await using var last = Queue.OpenConsumer("processor");
        if (MaxDeliveries is null)
        {
            // No limit: the entry keeps coming back for as long as it is not acknowledged.
            await ReceiveUntilAsync(last, e => FirstEventId(e) == "limit-e0", "a delivery past any limit");
        }
        else
        {
            // JetStream stops silently after MaxDeliver: this is why a consumer must dead-letter on the last attempt.
            await AssertNothingDeliveredAsync(last, RedeliveryWindow);
        }
    }
}
