namespace ViewingHistory.Queue.Conformance;

// Named consumers: different names each read everything (processor, archive, feed); one name shares the work among
// its instances (competing consumers, DESIGN.md principle 8).
public abstract partial class QueueConformance
{
    [Fact(Timeout = 120_000)]
    public async Task Two_consumers_with_different_names_each_see_everything()
    {
        for (var i = 0; i < 5; i++)
        {
            await AppendAsync(Batch("fan" + i, 2));
        }

        await using var processor = Queue.OpenConsumer("processor");
        await using var archive = Queue.OpenConsumer("archive");

        // The processor acknowledges everything first: that must not take anything away from the archive.
        var fromProcessor = await ReceiveAsync(processor, 5, ack: true);
        var fromArchive = await ReceiveAsync(archive, 5);

        var expected = Enumerable.Range(0, 5).SelectMany(i => Batch("fan" + i, 2).Events).Select(e => e.EventId);
        Assert.Equal(expected, EventIds(fromProcessor));
        Assert.Equal(expected, EventIds(fromArchive));
    }

    [Fact(Timeout = 120_000)]
    public async Task Consumers_with_the_same_name_share_the_work_each_entry_going_to_one_of_them()
    {
        const int batches = 12;
        for (var i = 0; i < batches; i++)
        {
            await AppendAsync(Batch("share" + i));
        }

        await using var first = Queue.OpenConsumer("processor");
        await using var second = Queue.OpenConsumer("processor");
        var seenByFirst = new List<string>();
        var seenBySecond = new List<string>();
        var deadline = DateTime.UtcNow + WaitLimit;
        while (seenByFirst.Count + seenBySecond.Count < batches)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{seenByFirst.Count + seenBySecond.Count} of {batches} entries within {WaitLimit.TotalSeconds:0} s.");

            // Alternating small receives: each instance takes a share; neither holds the other's entries.
            foreach (var (consumer, seen) in new[] { (first, seenByFirst), (second, seenBySecond) })
            {
                var delivery = await consumer.ReceiveAsync(2, TimeSpan.FromMilliseconds(200), Token);
                seen.AddRange(delivery.Entries.SelectMany(EventIds));
                await consumer.AckAsync(delivery, Token);
            }
        }

        Assert.NotEmpty(seenByFirst);
        Assert.NotEmpty(seenBySecond);
        Assert.Empty(seenByFirst.Intersect(seenBySecond));
        Assert.Equal(
            Enumerable.Range(0, batches).Select(i => $"share{i}-e0").Order(StringComparer.Ordinal),
            seenByFirst.Concat(seenBySecond).Order(StringComparer.Ordinal));
    }
}
