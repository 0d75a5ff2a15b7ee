namespace ViewingHistory.Queue.Conformance;

// Truncation and retention: space is never reclaimed from under a consumer that has not acknowledged it. Past that
// the engines differ on purpose (see RetainsAcknowledgedEntries): the embedded log truncates below the slowest
// consumer; JetStream keeps acknowledged messages (Limits retention) until their age runs out.
public abstract partial class QueueConformance
{
    // Enough 10-event batches to fill several of the embedded log's small test segments, which truncation frees whole.
    private const int RetentionBatches = 2000;
    private const int SlowestAcked = RetentionBatches * 3 / 4;

    [Fact(Timeout = 300_000)]
    public async Task Acknowledged_entries_are_reclaimed_only_below_the_slowest_consumer_or_kept_where_the_engine_retains_them()
    {
        long retainedBefore;
        await using (var processor = Queue.OpenConsumer("processor"))
        await using (var archive = Queue.OpenConsumer("archive"))
        {
            // Sequential appends keep log order equal to batch order, which the assertions rely on.
            for (var i = 0; i < RetentionBatches; i++)
            {
                await AppendAsync(Batch("t" + i, 10));
            }

            // Measured before any ack, so that nothing has been reclaimed yet.
            retainedBefore = await RetainedBytesAsync();

            await ReceiveAsync(processor, RetentionBatches, ack: true);

            // The archive, the slowest consumer, acknowledges three quarters and never takes the rest out.
            var archived = 0;
            while (archived < SlowestAcked)
            {
                var delivery = Assert.Single(await ReceiveAsync(archive, 1, maxEvents: Math.Min(50, (SlowestAcked - archived) * 10), ack: true));
                archived += delivery.Entries.Count;
            }

            Assert.Equal(SlowestAcked, archived);
        }

        // A restart: every consumer's position is where it acknowledged, and reclaiming has only those to go by.
        await ReopenAsync();
        if (RetainsAcknowledgedEntries)
        {
            Assert.True(await RetainedBytesAsync() >= retainedBefore, "acknowledged entries must stay stored");
        }
        else
        {
            var deadline = DateTime.UtcNow + WaitLimit;
            while (await RetainedBytesAsync() >= retainedBefore / 2)
            {
                Assert.True(DateTime.UtcNow < deadline, $"The engine held {await RetainedBytesAsync()} of {retainedBefore} bytes after {WaitLimit.TotalSeconds:0} s.");
                await Task.Delay(100, Token);
            }
        }

        // A consumer created now starts at the oldest entry the engine still holds.
        await using var late = Queue.OpenConsumer("late");
        var oldest = Assert.Single(Assert.Single(await ReceiveAsync(late, 1, maxEvents: 1)).Entries);
        Assert.Equal(RetainsAcknowledgedEntries ? "t0-e0" : $"t{SlowestAcked}-e0", FirstEventId(oldest));

        // The slowest consumer loses nothing it had not acknowledged, and gets nothing it had.
        await using var archiveAgain = Queue.OpenConsumer("archive");
        var rest = await ReceiveAsync(archiveAgain, RetentionBatches - SlowestAcked, ack: true);
        Assert.Equal(
            Enumerable.Range(SlowestAcked, RetentionBatches - SlowestAcked).Select(i => $"t{i}-e0"),
            rest.SelectMany(d => d.Entries).Select(FirstEventId));
        await AssertNothingDeliveredAsync(archiveAgain, TimeSpan.FromSeconds(1));
    }
}
