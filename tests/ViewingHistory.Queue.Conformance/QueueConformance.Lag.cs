namespace ViewingHistory.Queue.Conformance;

// Lag: what the processors' gauges and the capacity model read. It counts events, not entries (DESIGN.md, FasterLog
// trap: addresses are bytes, so events need their own count), per consumer.
public abstract partial class QueueConformance
{
    [Fact(Timeout = 120_000)]
    public async Task LagEvents_counts_events_not_entries_and_falls_as_deliveries_are_acknowledged()
    {
        // Batches of one size: JetStream knows messages and estimates events from the mean events per message seen,
        // so only uniform batches make its estimate exact.
        for (var i = 0; i < 4; i++)
        {
            await AppendAsync(Batch("lag" + i, 10));
        }

        await using var consumer = Queue.OpenConsumer("processor");
        var deliveries = await ReceiveAsync(consumer, 4, maxEvents: 10);
        Assert.Equal(4, deliveries.Count);

        // Delivered but not acknowledged is still lag: a crash would deliver it again.
        await AssertLagBecomesAsync(consumer, 40);
        await consumer.AckAsync(deliveries[0], Token);
        await consumer.AckAsync(deliveries[1], Token);
        await AssertLagBecomesAsync(consumer, 20);
        await consumer.AckAsync(deliveries[2], Token);
        await consumer.AckAsync(deliveries[3], Token);
        await AssertLagBecomesAsync(consumer, 0);
    }

    [Fact(Timeout = 120_000)]
    public async Task One_consumers_acks_do_not_change_another_consumers_lag()
    {
        for (var i = 0; i < 3; i++)
        {
            await AppendAsync(Batch("ind" + i, 10));
        }

        await using var processor = Queue.OpenConsumer("processor");
        await using var archive = Queue.OpenConsumer("archive");
        await ReceiveAsync(processor, 3, ack: true);
        await ReceiveAsync(archive, 3);

        await AssertLagBecomesAsync(processor, 0);
        await AssertLagBecomesAsync(archive, 30);
    }
}
