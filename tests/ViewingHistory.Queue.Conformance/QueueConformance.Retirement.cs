namespace ViewingHistory.Queue.Conformance;

// Consumer retirement (IEventQueue.RetireConsumerAsync): a consumer this deployment no longer runs (the shadow
// processor after leaving shadow mode, the archive once it is off) must not hold the queue back. Where the engine
// keeps a position per consumer and reclaims below the slowest (the embedded log), retiring forgets the position;
// where limits, not consumers, decide what is kept (JetStream), retiring leaves the consumer alone on purpose
// (other nodes may still run it during a rolling restart) and answers false.
public abstract partial class QueueConformance
{
    /// <summary>
    /// True where retiring a consumer forgets its position, so that reclaiming no longer waits for it (the embedded
    /// log); false where the engine leaves the consumer as it is and answers false (JetStream, and the spool, which
    /// forwards to it).
    /// </summary>
    protected abstract bool RetiresConsumers { get; }

    [Fact(Timeout = 300_000)]
    public async Task A_retired_consumer_no_longer_holds_reclaiming_back_or_is_left_as_it_was()
    {
        long retainedBefore;
        int shadowAcked;
        await using (var processor = Queue.OpenConsumer("processor"))
        await using (var shadow = Queue.OpenConsumer("shadow"))
        {
            for (var i = 0; i < RetentionBatches; i++)
            {
                await AppendAsync(Batch("t" + i, 10));
            }

            retainedBefore = await RetainedBytesAsync();
            await ReceiveAsync(processor, RetentionBatches, ack: true);

            // The shadow consumer takes one delivery only: from here on it would hold everything after it back.
            var first = Assert.Single(await ReceiveAsync(shadow, 1, maxEvents: 10, ack: true));
            Assert.Equal("t0-e0", FirstEventId(first.Entries[0]));
            shadowAcked = first.Entries.Count;
        }

        // The next start runs without shadow mode: the consumer is retired before anything opens it.
        await ReopenAsync();
        Assert.Equal(RetiresConsumers, await Queue.RetireConsumerAsync("shadow", Token));

        if (RetiresConsumers)
        {
            var deadline = DateTime.UtcNow + WaitLimit;
            while (await RetainedBytesAsync() >= retainedBefore / 2)
            {
                Assert.True(DateTime.UtcNow < deadline, $"The engine held {await RetainedBytesAsync()} of {retainedBefore} bytes {WaitLimit.TotalSeconds:0} s after the retirement.");
                await Task.Delay(100, Token);
            }

            // Retiring it again finds nothing; the processor, which acknowledged everything, gets nothing again.
            Assert.False(await Queue.RetireConsumerAsync("shadow", Token));
        }
        else
        {
            // Left alone: the consumer resumes where it stopped, as a node still running it would.
            Assert.True(await RetainedBytesAsync() >= retainedBefore, "acknowledged entries must stay stored");
            await using var shadowAgain = Queue.OpenConsumer("shadow");
            var next = Assert.Single(await ReceiveAsync(shadowAgain, 1, maxEvents: 10)).Entries[0];
            Assert.Equal($"t{shadowAcked}-e0", FirstEventId(next));
        }

        await using var processorAgain = Queue.OpenConsumer("processor");
        await AssertNothingDeliveredAsync(processorAgain, TimeSpan.FromSeconds(1));
    }

    [Fact(Timeout = 120_000)]
    public async Task Retiring_a_consumer_that_never_existed_is_harmless_and_a_bad_name_is_refused()
    {
        await AppendAsync(Batch("a", 3));
        Assert.False(await Queue.RetireConsumerAsync("never-opened", Token));
        await Assert.ThrowsAsync<ArgumentException>(() => Queue.RetireConsumerAsync("no spaces/or slashes", Token));

        await using var processor = Queue.OpenConsumer("processor");
        var delivery = Assert.Single(await ReceiveAsync(processor, 1, ack: true));
        Assert.Equal("a-e0", FirstEventId(Assert.Single(delivery.Entries)));
    }
}
