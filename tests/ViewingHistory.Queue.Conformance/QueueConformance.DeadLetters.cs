namespace ViewingHistory.Queue.Conformance;

// Dead letters (DESIGN.md principle 5): an entry that failed for good is kept with its reason, can be listed,
// replayed into the queue (delivered again) or purged, and the count says how many are held.
public abstract partial class QueueConformance
{
    // Line breaks and non-ASCII: the reason is free text (an exception message) and must come back as it went in.
    private const string Reason = "store rejected: value too large\nline two é";

    [Fact(Timeout = 120_000)]
    public async Task A_dead_letter_keeps_the_payload_its_reason_and_event_count_across_a_reopen()
    {
        await AppendAsync(Batch("dl", 3));
        await using (var consumer = Queue.OpenConsumer("processor"))
        {
            var delivery = Assert.Single(await ReceiveAsync(consumer, 1));
            var entry = Assert.Single(delivery.Entries);
            var before = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds();
            await Queue.DeadLetters.AddAsync(entry, Reason, Token);
            await consumer.AckAsync(delivery, Token);

            var letter = Assert.Single(await Queue.DeadLetters.ListAsync(10, Token));
            Assert.Equal(Reason, letter.Reason);
            Assert.Equal(3, letter.EventCount);
            Assert.InRange(letter.FailedAtMs, before, DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
            Assert.Equal(entry.Payload.ToArray(), letter.Payload.ToArray());
            Assert.Equal(1, Queue.DeadLetters.Count);
        }

        await ReopenAsync();

        var kept = Assert.Single(await Queue.DeadLetters.ListAsync(10, Token));
        Assert.Equal(Reason, kept.Reason);
        Assert.Equal(3, kept.EventCount);
        Assert.Equal(Batch("dl", 3).Events, Core.Serialization.EventBatchCodec.Decode(kept.Payload.ToArray()).Events);
        Assert.Equal(1, Queue.DeadLetters.Count);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_poison_entry_is_dead_lettered_with_its_bytes_as_they_were_appended()
    {
        byte[] garbage = [9, 9, 9];
        await AppendUndecodableAsync(garbage);
        await using var consumer = Queue.OpenConsumer("processor");
        var entry = Assert.Single(Assert.Single(await ReceiveAsync(consumer, 1)).Entries);

        await Queue.DeadLetters.AddAsync(entry, "poison: " + entry.DecodeError, Token);

        var letter = Assert.Single(await Queue.DeadLetters.ListAsync(10, Token));
        Assert.Equal(garbage, letter.Payload.ToArray());
        Assert.StartsWith("poison: ", letter.Reason, StringComparison.Ordinal);
        Assert.Equal(0, letter.EventCount);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_replayed_dead_letter_is_delivered_again_and_leaves_the_dead_letter_queue()
    {
        var batch = Batch("replay", 2);
        await AppendAsync(batch);
        await using var consumer = Queue.OpenConsumer("processor");
        var delivery = Assert.Single(await ReceiveAsync(consumer, 1));
        var entry = Assert.Single(delivery.Entries);
        await Queue.DeadLetters.AddAsync(entry, "bug fixed later", Token);
        await consumer.AckAsync(delivery, Token);
        var letter = Assert.Single(await Queue.DeadLetters.ListAsync(10, Token));

        Assert.True(await Queue.DeadLetters.ReplayAsync(letter.Id, Token));

        // A new entry (JetStream: a new message id, so the publish dedup window cannot drop the replay).
        var replayed = Assert.Single(Assert.Single(await ReceiveAsync(consumer, 1, ack: true)).Entries);
        Assert.Equal(batch.Events, replayed.Batch!.Events);
        Assert.NotEqual(entry.Id, replayed.Id);
        Assert.Empty(await Queue.DeadLetters.ListAsync(10, Token));
        Assert.Equal(0, Queue.DeadLetters.Count);
        Assert.False(await Queue.DeadLetters.ReplayAsync(letter.Id, Token));
        await AssertNothingDeliveredAsync(consumer, TimeSpan.FromSeconds(1));
    }

    [Fact(Timeout = 120_000)]
    public async Task Dead_letters_are_listed_oldest_first_up_to_the_limit_and_purged_by_id_or_all()
    {
        for (var i = 0; i < 3; i++)
        {
            await AppendAsync(Batch("purge" + i));
        }

        await using var consumer = Queue.OpenConsumer("processor");
        var entries = (await ReceiveAsync(consumer, 3, ack: true)).SelectMany(d => d.Entries).ToList();
        for (var i = 0; i < entries.Count; i++)
        {
            await Queue.DeadLetters.AddAsync(entries[i], "reason " + i, Token);
        }

        var letters = await Queue.DeadLetters.ListAsync(10, Token);
        Assert.Equal(["reason 0", "reason 1", "reason 2"], letters.Select(l => l.Reason));
        Assert.Equal(3, Queue.DeadLetters.Count);
        Assert.Equal(letters.Take(2).Select(l => l.Id), (await Queue.DeadLetters.ListAsync(2, Token)).Select(l => l.Id));

        Assert.Equal(1, await Queue.DeadLetters.PurgeAsync(letters[1].Id, Token));
        Assert.Equal(0, await Queue.DeadLetters.PurgeAsync(letters[1].Id, Token));
        Assert.Equal([letters[0].Id, letters[2].Id], (await Queue.DeadLetters.ListAsync(10, Token)).Select(l => l.Id));
        Assert.Equal(2, Queue.DeadLetters.Count);

        Assert.Equal(2, await Queue.DeadLetters.PurgeAsync(null, Token));
        Assert.Empty(await Queue.DeadLetters.ListAsync(10, Token));
        Assert.Equal(0, Queue.DeadLetters.Count);

        // Dead-lettering works after a purge of everything. A fresh entry: JetStream deduplicates a dead letter by the
        // entry's id within its dedup window (a processor that dead-letters, crashes before its ack and dead-letters
        // the redelivery keeps one), so re-adding a purged entry at once is legitimately a no-op there.
        await AppendAsync(Batch("purge3"));
        var fresh = Assert.Single(Assert.Single(await ReceiveAsync(consumer, 1, ack: true)).Entries);
        await Queue.DeadLetters.AddAsync(fresh, "after the purge", Token);
        Assert.Equal("after the purge", Assert.Single(await Queue.DeadLetters.ListAsync(10, Token)).Reason);
        Assert.Equal(1, Queue.DeadLetters.Count);
    }

    [Fact(Timeout = 120_000)]
    public async Task Replaying_or_purging_an_unknown_dead_letter_changes_nothing()
    {
        await AppendAsync(Batch("known"));
        await using var consumer = Queue.OpenConsumer("processor");
        var entry = Assert.Single(Assert.Single(await ReceiveAsync(consumer, 1, ack: true)).Entries);
        await Queue.DeadLetters.AddAsync(entry, "held", Token);

        Assert.False(await Queue.DeadLetters.ReplayAsync("12345", Token));
        Assert.False(await Queue.DeadLetters.ReplayAsync("not-a-dead-letter", Token));
        Assert.Equal(0, await Queue.DeadLetters.PurgeAsync("12345", Token));
        Assert.Equal(0, await Queue.DeadLetters.PurgeAsync("not-a-dead-letter", Token));

        Assert.Equal("held", Assert.Single(await Queue.DeadLetters.ListAsync(10, Token)).Reason);
        Assert.Equal(1, Queue.DeadLetters.Count);
        await AssertNothingDeliveredAsync(consumer, TimeSpan.FromSeconds(1));
    }
}
