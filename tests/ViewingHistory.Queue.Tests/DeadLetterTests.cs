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
}
