using ViewingHistory.Testing;
using Xunit;
using static ViewingHistory.Queue.Tests.TestBatches;

namespace ViewingHistory.Queue.Tests;

public sealed class DeadLetterTests
{
    [Fact(Timeout = 60_000)]
    public async Task Dead_letters_survive_reopen_and_can_be_listed_replayed_and_purged()
    {
        using var dir = new TempDirectory();
        var garbage = new byte[] { 9, 9, 9 };
        await using (var queue = await OpenAsync(Options(dir.Path)))
        {
            await queue.AppendRawAsync(garbage, CancellationToken.None);
            await queue.AppendAsync(Make("rejected", 4), CancellationToken.None);
            await queue.AppendAsync(Make("other", 2), CancellationToken.None);
            await using var consumer = queue.OpenConsumer("processor");
            var entries = (await ReceiveEntriesAsync(consumer, 3)).SelectMany(d => d.Entries).ToList();
            await queue.DeadLetters.AddAsync(entries[0], "poison: " + entries[0].DecodeError, CancellationToken.None);
            await queue.DeadLetters.AddAsync(entries[1], "store rejected it", CancellationToken.None);
            await queue.DeadLetters.AddAsync(entries[2], "store rejected it too", CancellationToken.None);
            Assert.Equal(3, queue.DeadLetters.Count);
        }

        string replayedId;
        await using (var queue = await OpenAsync(Options(dir.Path)))
        {
            var letters = await queue.DeadLetters.ListAsync(10, CancellationToken.None);
            Assert.Equal(3, letters.Count);
            Assert.Equal(garbage, letters[0].Payload.ToArray());
            Assert.StartsWith("poison: ", letters[0].Reason, StringComparison.Ordinal);
            Assert.Equal(0, letters[0].EventCount);
            Assert.Equal("store rejected it", letters[1].Reason);
            Assert.Equal(4, letters[1].EventCount);
            Assert.InRange(letters[1].FailedAtMs, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            Assert.Single(await queue.DeadLetters.ListAsync(1, CancellationToken.None));

            await using var consumer = queue.OpenConsumer("processor");
            replayedId = letters[1].Id;
            Assert.True(await queue.DeadLetters.ReplayAsync(replayedId, CancellationToken.None));
            Assert.False(await queue.DeadLetters.ReplayAsync(replayedId, CancellationToken.None));
            var replayed = (await ReceiveEntriesAsync(consumer, 4)).SelectMany(d => d.Entries).Last();
            Assert.Equal(Make("rejected", 4).Events, replayed.Batch!.Events);
            Assert.Equal(2, queue.DeadLetters.Count);

            Assert.Equal(1, await queue.DeadLetters.PurgeAsync(letters[0].Id, CancellationToken.None));
            Assert.Equal(0, await queue.DeadLetters.PurgeAsync(letters[0].Id, CancellationToken.None));
        }

        await using (var queue = await OpenAsync(Options(dir.Path)))
        {
            var left = Assert.Single(await queue.DeadLetters.ListAsync(10, CancellationToken.None));
            Assert.Equal("store rejected it too", left.Reason);
            Assert.Equal(1, await queue.DeadLetters.PurgeAsync(null, CancellationToken.None));
        }

        await using var last = await OpenAsync(Options(dir.Path));
        Assert.Equal(0, last.DeadLetters.Count);
        await last.AppendAsync(Make("afterpurge"), CancellationToken.None);
        await using var c = last.OpenConsumer("dlq-check");
        var e = (await ReceiveEntriesAsync(c, 5)).SelectMany(d => d.Entries).Last();
        await last.DeadLetters.AddAsync(e, "added after a purge", CancellationToken.None);
        Assert.Equal(1, last.DeadLetters.Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_torn_last_dead_letter_record_is_cut_off_at_open_and_later_records_still_count()
    {
        using var dir = new TempDirectory();
        await using (var queue = await OpenAsync(Options(dir.Path)))
        {
            await queue.AppendAsync(Make("torn"), CancellationToken.None);
            await using var consumer = queue.OpenConsumer("processor");
            var entry = (await ReceiveEntriesAsync(consumer, 1))[0].Entries[0];
            await queue.DeadLetters.AddAsync(entry, "one", CancellationToken.None);
            await queue.DeadLetters.AddAsync(entry, "two", CancellationToken.None);
        }

        // A crash mid-write leaves a partial record at the tail.
        await File.AppendAllBytesAsync(Path.Combine(dir.Path, "deadletters.log"), new byte[] { 200, 0, 0, 0, 1, 2, 3 });

        await using (var queue = await OpenAsync(Options(dir.Path)))
        {
            Assert.Equal(2, queue.DeadLetters.Count);
            await using var consumer = queue.OpenConsumer("processor");
            var entry = (await ReceiveEntriesAsync(consumer, 1))[0].Entries[0];
            await queue.DeadLetters.AddAsync(entry, "three", CancellationToken.None);
        }

        await using var reopened = await OpenAsync(Options(dir.Path));
        Assert.Equal(["one", "two", "three"], (await reopened.DeadLetters.ListAsync(10, CancellationToken.None)).Select(l => l.Reason));
    }
}
