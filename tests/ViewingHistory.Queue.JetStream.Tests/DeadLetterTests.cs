using ViewingHistory.Queue.JetStream;
using ViewingHistory.Testing.Nats;
using Xunit;
using static ViewingHistory.Queue.JetStream.Tests.TestQueues;

namespace ViewingHistory.Queue.JetStream.Tests;

[Collection(NatsServerCollection.Name)]
public sealed class DeadLetterTests(NatsServer server)
{
    [Fact(Timeout = 60_000)]
    public async Task A_dead_letter_is_listed_with_its_reason_and_payload()
    {
        await using var queue = await StartAsync(Options(server.Url));
        var batch = Batch("dl", 3);
        await queue.AppendAsync(batch, Within(10));
        var entry = Assert.Single(await ReceiveAsync(queue.OpenConsumer("processor"), 1, TimeSpan.FromSeconds(20)));

        await queue.DeadLetters.AddAsync(entry, "store rejected: value too large\nline two é", Within(20));

        var letter = Assert.Single(await queue.DeadLetters.ListAsync(10, Within(20)));
        Assert.Equal("store rejected: value too large\nline two é", letter.Reason);
        Assert.Equal(3, letter.EventCount);
        Assert.True(letter.FailedAtMs > 0);
        Assert.Equal(entry.Payload.ToArray(), letter.Payload.ToArray());
        Assert.Equal(1, queue.DeadLetters.Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task Dead_lettering_the_same_entry_twice_keeps_one_dead_letter()
    {
        await using var queue = await StartAsync(Options(server.Url));
        await queue.AppendAsync(Batch("dl2", 1), Within(10));
        var entry = Assert.Single(await ReceiveAsync(queue.OpenConsumer("processor"), 1, TimeSpan.FromSeconds(20)));

        await queue.DeadLetters.AddAsync(entry, "poison", Within(20));
        await queue.DeadLetters.AddAsync(entry, "poison", Within(20));

        Assert.Single(await queue.DeadLetters.ListAsync(10, Within(20)));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_replayed_dead_letter_is_delivered_again_even_inside_the_dedup_window()
    {
        await using var queue = await StartAsync(Options(server.Url) with { DuplicateWindow = TimeSpan.FromMinutes(10) });
        var batch = Batch("replay", 2);
        await queue.AppendAsync(batch, Within(10));
        var consumer = queue.OpenConsumer("processor");
        var entry = Assert.Single(await ReceiveAsync(consumer, 1, TimeSpan.FromSeconds(20)));
        await queue.DeadLetters.AddAsync(entry, "bug fixed later", Within(20));
        var letter = Assert.Single(await queue.DeadLetters.ListAsync(10, Within(20)));

        Assert.True(await queue.DeadLetters.ReplayAsync(letter.Id, Within(20)));

        var replayed = Assert.Single(await ReceiveAsync(consumer, 1, TimeSpan.FromSeconds(20)));
        Assert.Equal(batch.Events, replayed.Batch!.Events);
        Assert.NotEqual(entry.Id, replayed.Id);
        Assert.Empty(await queue.DeadLetters.ListAsync(10, Within(20)));
        Assert.Equal(0, queue.DeadLetters.Count);
        Assert.False(await queue.DeadLetters.ReplayAsync(letter.Id, Within(20)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Purging_removes_one_dead_letter_by_id_or_all_of_them()
    {
        await using var queue = await StartAsync(Options(server.Url));
        for (var i = 0; i < 3; i++)
        {
            await queue.AppendAsync(Batch($"purge{i}", 1), Within(10));
        }

        foreach (var entry in await ReceiveAsync(queue.OpenConsumer("processor"), 3, TimeSpan.FromSeconds(20)))
        {
            await queue.DeadLetters.AddAsync(entry, "poison", Within(20));
        }

        var letters = await queue.DeadLetters.ListAsync(10, Within(20));
        Assert.Equal(3, letters.Count);
        Assert.Equal(2, (await queue.DeadLetters.ListAsync(2, Within(20))).Count);

        Assert.Equal(1, await queue.DeadLetters.PurgeAsync(letters[1].Id, Within(20)));
        Assert.Equal(0, await queue.DeadLetters.PurgeAsync(letters[1].Id, Within(20)));
        Assert.Equal(new[] { letters[0].Id, letters[2].Id }, (await queue.DeadLetters.ListAsync(10, Within(20))).Select(l => l.Id));
        Assert.Equal(2, queue.DeadLetters.Count);

        Assert.Equal(2, await queue.DeadLetters.PurgeAsync(null, Within(20)));
        Assert.Empty(await queue.DeadLetters.ListAsync(10, Within(20)));
        Assert.Equal(0, queue.DeadLetters.Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task Replaying_or_purging_an_unknown_id_changes_nothing()
    {
        await using var queue = await StartAsync(Options(server.Url));

        Assert.False(await queue.DeadLetters.ReplayAsync("12345", Within(20)));
        Assert.False(await queue.DeadLetters.ReplayAsync("not-a-number", Within(20)));
        Assert.Equal(0, await queue.DeadLetters.PurgeAsync("12345", Within(20)));
        Assert.Empty(await queue.DeadLetters.ListAsync(10, Within(20)));
    }
}
