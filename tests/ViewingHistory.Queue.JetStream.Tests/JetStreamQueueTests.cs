using NATS.Client.Core;
using NATS.Client.JetStream;
using ViewingHistory.Queue.JetStream;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using Xunit;
using static ViewingHistory.Queue.JetStream.Tests.TestQueues;

namespace ViewingHistory.Queue.JetStream.Tests;

[Collection(NatsServerCollection.Name)]
public sealed class JetStreamQueueTests(NatsServer server)
{
    [Fact(Timeout = 60_000)]
    public async Task An_appended_batch_is_received_whole_and_not_again_after_its_ack()
    {
        await using var queue = await StartAsync(Options(server.Url));
        var batch = Batch("rt", 5);
        await queue.AppendAsync(batch, Within(10));

        var consumer = queue.OpenConsumer("processor");
        var entries = await ReceiveAsync(consumer, 1, TimeSpan.FromSeconds(20));

        var entry = Assert.Single(entries);
        Assert.Equal(BatchId.Of(batch), entry.Id);
        Assert.Null(entry.DecodeError);
        Assert.Equal(1, entry.DeliveryCount);
        Assert.NotNull(entry.Batch);
        Assert.Equal(batch.AcceptedAtMs, entry.Batch.AcceptedAtMs);
        Assert.Equal(batch.Events, entry.Batch.Events);

        var again = await consumer.ReceiveAsync(100, TimeSpan.FromMilliseconds(300), Within(10));
        Assert.Empty(again.Entries);
    }

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
    public async Task Consumers_with_different_names_each_see_every_batch()
    {
        await using var queue = await StartAsync(Options(server.Url));
        for (var i = 0; i < 5; i++)
        {
            await queue.AppendAsync(Batch($"fan{i}", 2), Within(10));
        }

        var processor = await ReceiveAsync(queue.OpenConsumer("processor"), 5, TimeSpan.FromSeconds(20));
        var archive = await ReceiveAsync(queue.OpenConsumer("archive"), 5, TimeSpan.FromSeconds(20));

        Assert.Equal(processor.Select(e => e.Id).Order(), archive.Select(e => e.Id).Order());
        Assert.Equal(5, processor.Select(e => e.Id).Distinct().Count());
    }

    [Fact(Timeout = 60_000)]
    public async Task An_unacknowledged_batch_is_delivered_again_after_the_ack_wait_with_a_higher_delivery_count()
    {
        var options = Options(server.Url) with { AckWait = TimeSpan.FromSeconds(1), Backoff = [], MaxDeliver = 5 };
        await using var queue = await StartAsync(options);
        var batch = Batch("redeliver", 2);
        await queue.AppendAsync(batch, Within(10));
        var consumer = queue.OpenConsumer("processor");

        var first = Assert.Single(await ReceiveAsync(consumer, 1, TimeSpan.FromSeconds(20), ack: false));
        Assert.Equal(1, first.DeliveryCount);

        // The server may hand a message out again without counting it (a delivery it judged undelivered), so look
        // for the counted redelivery among a few deliveries rather than expecting it to be the very next one.
        var again = new List<QueueEntry>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!again.Any(e => e.DeliveryCount >= 2))
        {
            again.AddRange((await consumer.ReceiveAsync(10, TimeSpan.FromSeconds(1), cts.Token)).Entries);
        }

        Assert.All(again, e => Assert.Equal(first.Id, e.Id));
        Assert.InRange(again.Max(e => e.DeliveryCount), 2, options.MaxDeliver);
        Assert.Equal(batch.Events, again[^1].Batch!.Events);
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
    public async Task Bytes_that_are_not_a_batch_are_delivered_as_poison_with_their_decode_error()
    {
        var options = Options(server.Url);
        await using var queue = await StartAsync(options);
        await using (var raw = new NatsConnection(new NatsOpts { Url = server.Url }))
        {
            var js = new NatsJSContext(raw);
            var ack = await js.PublishAsync(options.StreamName + ".batch", new byte[] { 9, 9, 9 }, cancellationToken: Within(10));
            ack.EnsureSuccess();
        }

        var entry = Assert.Single(await ReceiveAsync(queue.OpenConsumer("processor"), 1, TimeSpan.FromSeconds(20)));

        Assert.Null(entry.Batch);
        Assert.False(string.IsNullOrEmpty(entry.DecodeError));
        Assert.Equal(new byte[] { 9, 9, 9 }, entry.Payload.ToArray());
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

    [Fact(Timeout = 60_000)]
    public async Task Lag_counts_the_events_not_yet_acknowledged_by_the_consumer()
    {
        await using var queue = await StartAsync(Options(server.Url));
        var consumer = queue.OpenConsumer("processor");
        Assert.Empty((await consumer.ReceiveAsync(10, TimeSpan.Zero, Within(10))).Entries);
        for (var i = 0; i < 4; i++)
        {
            await queue.AppendAsync(Batch($"lag{i}", 10), Within(10));
        }

        await Eventually.UntilAsync(() => Task.FromResult(consumer.LagEvents), lag => lag == 40, TimeSpan.FromSeconds(20), "a lag of 40 events");
        await ReceiveAsync(consumer, 4, TimeSpan.FromSeconds(20));
        await Eventually.UntilAsync(() => Task.FromResult(consumer.LagEvents), lag => lag == 0, TimeSpan.FromSeconds(20), "no lag");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_long_batch_kept_alive_is_not_redelivered_meanwhile()
    {
        var options = Options(server.Url) with { AckWait = TimeSpan.FromSeconds(3), Backoff = [], MaxDeliver = 5 };
        await using var queue = await StartAsync(options);
        await queue.AppendAsync(Batch("alive", 1), Within(10));
        var holder = queue.OpenConsumer("processor");
        var delivery = await holder.ReceiveAsync(10, TimeSpan.FromSeconds(10), Within(20));
        Assert.Single(delivery.Entries);

        // Several ack waits pass with in-progress acks in between; another instance must get nothing meanwhile.
        await using var other = await StartAsync(options);
        var rival = other.OpenConsumer("processor");
        for (var i = 0; i < 16; i++)
        {
            await holder.KeepAliveAsync(delivery, Within(10));
            var stolen = await rival.ReceiveAsync(10, TimeSpan.FromMilliseconds(500), Within(10));
            Assert.Empty(stolen.Entries);
        }

        await holder.AckAsync(delivery, Within(10));
    }
}
