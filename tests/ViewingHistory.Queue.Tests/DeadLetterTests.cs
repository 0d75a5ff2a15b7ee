using ViewingHistory.Queue.Embedded;
using ViewingHistory.Testing;
using Xunit;
using static ViewingHistory.Queue.Tests.TestBatches;

namespace ViewingHistory.Queue.Tests;

public sealed class DeadLetterTests
{
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

    [Fact(Timeout = 60_000)]
    public async Task Dead_letters_older_than_the_maximum_age_are_removed_and_younger_ones_stay()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path) with { DeadLetterMaxAge = TimeSpan.FromSeconds(1), TruncateInterval = TimeSpan.FromMilliseconds(100), DiskCheckInterval = TimeSpan.FromMilliseconds(100) });
        await queue.AppendAsync(Make("aged"), CancellationToken.None);
        await using var consumer = queue.OpenConsumer("processor");
        var entry = (await ReceiveEntriesAsync(consumer, 1))[0].Entries[0];
        await queue.DeadLetters.AddAsync(entry, "old", CancellationToken.None);
        var old = Assert.Single(await queue.DeadLetters.ListAsync(10, CancellationToken.None));

        // By the store's own call: only what failed before the cut goes.
        var store = (EmbeddedDeadLetterQueue)queue.DeadLetters;
        Assert.Equal(0, await store.ExpireAsync(old.FailedAtMs, CancellationToken.None));
        Assert.Equal(1, queue.DeadLetters.Count);

        // By the queue's maintenance: gone within a few truncation ticks once it is older than the maximum age.
        await Eventually.UntilAsync(() => Task.FromResult(queue.DeadLetters.Count), n => n == 0, TimeSpan.FromSeconds(10), "the aged dead letter to be removed");
        Assert.Empty(await queue.DeadLetters.ListAsync(10, CancellationToken.None));
    }
}
