using ViewingHistory.Queue.JetStream;
using ViewingHistory.Testing.Nats;
using Xunit;
using static ViewingHistory.Queue.JetStream.Tests.TestQueues;

namespace ViewingHistory.Queue.JetStream.Tests;

[Collection(NatsServerCollection.Name)]
public sealed class JetStreamQueueTests(NatsServer server)
{
    [Fact(Timeout = 60_000)]
    public async Task Resending_the_same_batch_stores_it_once()
    {
        await using var queue = await StartAsync(Options(server.Url));
        var batch = Batch("dup", 3);
        await queue.AppendAsync(batch, Within(10));
        await queue.AppendAsync(batch with { AcceptedAtMs = batch.AcceptedAtMs + 5 }, Within(10));
        await queue.AppendAsync(Batch("other", 2), Within(10));

        var entries = await ReceiveAsync(queue.OpenConsumer("processor"), 2, TimeSpan.FromSeconds(20));
        var more = await queue.OpenConsumer("processor").ReceiveAsync(100, TimeSpan.FromMilliseconds(300), Within(10));

        Assert.Empty(more.Entries);
        Assert.Equal(2, entries.Select(e => e.Id).Distinct().Count());
        Assert.Contains(entries, e => e.Id == BatchId.Of(batch));
    }

    [Fact(Timeout = 60_000)]
    public async Task Two_instances_of_one_consumer_split_the_batches_and_together_see_every_one()
    {
        var options = Options(server.Url);
        await using var processA = await StartAsync(options);
        await using var processB = await StartAsync(options);
        var expected = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            var batch = Batch($"split{i}", 1);
            expected.Add(BatchId.Of(batch));
            await processA.AppendAsync(batch, Within(10));
        }

        var a = processA.OpenConsumer("processor");
        var b = processB.OpenConsumer("processor");
        var seenByA = new List<string>();
        var seenByB = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (seenByA.Count + seenByB.Count < expected.Count)
        {
            // Alternating small receives: each instance takes a share; none holds the others' batches.
            foreach (var (consumer, seen) in new[] { (a, seenByA), (b, seenByB) })
            {
                var delivery = await consumer.ReceiveAsync(2, TimeSpan.FromMilliseconds(200), cts.Token);
                seen.AddRange(delivery.Entries.Select(e => e.Id));
                await consumer.AckAsync(delivery, cts.Token);
            }
        }

        Assert.NotEmpty(seenByA);
        Assert.NotEmpty(seenByB);
        Assert.Empty(seenByA.Intersect(seenByB));
        Assert.Equal(expected.Order(), seenByA.Concat(seenByB).Order());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_full_stream_refuses_the_append_instead_of_dropping_older_batches()
    {
        await using var queue = await StartAsync(Options(server.Url) with { MaxMsgs = 3 });
        for (var i = 0; i < 3; i++)
        {
            await queue.AppendAsync(Batch($"full{i}", 1), Within(10));
        }

        await Assert.ThrowsAsync<QueueUnavailableException>(async () => await queue.AppendAsync(Batch("full3", 1), Within(20)));

        var entries = await ReceiveAsync(queue.OpenConsumer("processor"), 3, TimeSpan.FromSeconds(20));
        Assert.Equal(
            Enumerable.Range(0, 3).Select(i => BatchId.Of(Batch($"full{i}", 1))).Order(),
            entries.Select(e => e.Id).Order());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_stream_at_its_byte_limit_refuses_the_append_and_keeps_every_acknowledged_batch()
    {
        await using var queue = await StartAsync(Options(server.Url) with { MaxBytes = 4_096 });
        var acknowledged = new List<string>();
        QueueUnavailableException? refused = null;
        for (var i = 0; i < 100 && refused is null; i++)
        {
            var batch = Batch($"bytes{i}", 5);
            try
            {
                await queue.AppendAsync(batch, Within(20));
                acknowledged.Add(BatchId.Of(batch));
            }
            catch (QueueUnavailableException ex)
            {
                refused = ex;
            }
        }

        Assert.NotNull(refused);
        Assert.NotEmpty(acknowledged);
        var seen = await ReceiveIdsAsync(queue.OpenConsumer("processor"), acknowledged, TimeSpan.FromSeconds(20));
        Assert.Equal(acknowledged.Order(), seen.Order());
    }

    [Fact(Timeout = 60_000)]
    public async Task Several_instances_starting_at_once_all_initialize_the_same_stream()
    {
        var options = Options(server.Url) with { Replicas = 1 };
        var queues = Enumerable.Range(0, 4).Select(_ => new JetStreamEventQueue(options)).ToArray();
        try
        {
            await Task.WhenAll(queues.Select(q => q.InitializeAsync(Within(30))));
            await Task.WhenAll(queues.Select(q => q.AppendAsync(Batch("init", 1), Within(10)).AsTask()));

            var entries = await ReceiveAsync(queues[0].OpenConsumer("processor"), 1, TimeSpan.FromSeconds(20));
            Assert.Single(entries);
            Assert.True(await queues[3].IsHealthyAsync(Within(10)));
        }
        finally
        {
            foreach (var q in queues)
            {
                await q.DisposeAsync();
            }
        }
    }
}
