using ViewingHistory.Queue.JetStream;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using Xunit;
using static ViewingHistory.Queue.JetStream.Tests.TestQueues;

namespace ViewingHistory.Queue.JetStream.Tests;

[Collection(NatsServerCollection.Name)]
public sealed class DeadLetterTests(NatsServer server)
{
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
    public async Task The_dead_letter_stream_drops_dead_letters_older_than_the_maximum_age()
    {
        await using var queue = await StartAsync(Options(server.Url) with { DeadLetterMaxAge = TimeSpan.FromSeconds(1) });
        await queue.AppendAsync(Batch("dlage", 1), Within(10));
        var entry = Assert.Single(await ReceiveAsync(queue.OpenConsumer("processor"), 1, TimeSpan.FromSeconds(20)));
        await queue.DeadLetters.AddAsync(entry, "poison", Within(20));
        Assert.Single(await queue.DeadLetters.ListAsync(10, Within(20)));

        await Eventually.UntilAsync(async () => (await queue.DeadLetters.ListAsync(10, Within(20))).Count, n => n == 0, TimeSpan.FromSeconds(20), "the aged dead letter to expire");
    }
}
