using ViewingHistory.Queue.Embedded;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Faults;
using Xunit;
using static ViewingHistory.Queue.Tests.TestBatches;

namespace ViewingHistory.Queue.Tests;

/// <summary>The embedded dead-letter queue keeps payloads in its file, not in memory, and survives a full disk.</summary>
[Collection(MemoryMeasurementCollection.Name)]
public sealed class DeadLetterStorageTests
{
    private const int Mib = 1 << 20;
    private static readonly CancellationToken None = CancellationToken.None;

    private static QueueEntry Poison(byte[] payload) => new(Guid.NewGuid().ToString("N"), null, payload, 1, "poison");

    private static byte[] Payload(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact(Timeout = 120_000)]
    public async Task Many_large_dead_letters_do_not_grow_memory_in_proportion_to_their_payloads()
    {
        using var dir = new TempDirectory();
        var payload = Payload(Mib, 1);
        const int letters = 64;
        await using (var queue = await OpenAsync(Options(dir.Path)))
        {
            var before = GC.GetTotalMemory(forceFullCollection: true);
            for (var i = 0; i < letters; i++)
            {
                await queue.DeadLetters.AddAsync(Poison(payload), $"reason {i}", None);
            }

            var held = GC.GetTotalMemory(forceFullCollection: true) - before;
            Assert.True(held < 16 * Mib, $"{letters} MiB of dead letters hold {held / Mib} MiB of managed memory");
        }

        // Open the file again (the index only, without a log beside it): reading it in does not load the payloads.
        var path = Path.Combine(dir.Path, "deadletters.log");
        var beforeOpen = GC.GetTotalMemory(forceFullCollection: true);
        using var reopened = await EmbeddedDeadLetterQueue.OpenAsync(path, null!, None);
        var afterOpen = GC.GetTotalMemory(forceFullCollection: true) - beforeOpen;
        Assert.True(afterOpen < 16 * Mib, $"opening {letters} MiB of dead letters holds {afterOpen / Mib} MiB of managed memory");
        Assert.Equal(letters, reopened.Count);
        var first = Assert.Single(await reopened.ListAsync(1, None));
        Assert.Equal("reason 0", first.Reason);
        Assert.Equal(payload, first.Payload.ToArray());
    }

    [Fact(Timeout = 60_000)]
    public async Task Listing_dead_letters_reads_their_payloads_from_the_file_not_from_memory()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path));
        await queue.DeadLetters.AddAsync(Poison(Payload(4096, 2)), "first", None);
        await queue.DeadLetters.AddAsync(Poison(Payload(4096, 3)), "second", None);
        Assert.Equal(Payload(4096, 3), (await queue.DeadLetters.ListAsync(2, None))[1].Payload.ToArray());

        // Damage the last byte of the file (the second letter's payload) behind the queue's back: a copy in memory
        // would not notice; a read from the file fails its checksum.
        var path = Path.Combine(dir.Path, "deadletters.log");
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.Seek(-1, SeekOrigin.End);
            var last = file.ReadByte();
            file.Seek(-1, SeekOrigin.End);
            file.WriteByte((byte)(last ^ 0xFF));
        }

        Assert.Equal("first", Assert.Single(await queue.DeadLetters.ListAsync(1, None)).Reason);
        await Assert.ThrowsAsync<IOException>(() => queue.DeadLetters.ListAsync(2, None));
    }

    [Fact(Timeout = 180_000)]
    public async Task A_failed_rewrite_on_a_full_disk_leaves_the_dead_letter_queue_usable_and_its_file_consistent()
    {
        await using var fs = await LoopMount.CreateAsync(32);
        var options = Options(Path.Combine(fs.Path, "queue"));
        var large = Payload(2 * Mib, 4);
        var tiny = new List<string>();
        await using (var queue = await OpenAsync(options))
        {
            var dlq = queue.DeadLetters;
            await dlq.AddAsync(Poison(large), "large", None);
            for (var i = 0; i < 1030; i++)
            {
                await dlq.AddAsync(Poison([(byte)i]), "tiny", None);
            }

            tiny.AddRange((await dlq.ListAsync(2000, None)).Skip(1).Select(l => l.Id));

            // Room for removal records, not for a rewrite that copies the large letter.
            await fs.FillAsync(leaveFreeBytes: 256 * 1024);
            Assert.True(fs.FreeBytes < Mib, $"{fs.FreeBytes} bytes still free");

            // The 1,024th removal starts a compaction, which fails for want of space: the removals still hold.
            foreach (var id in tiny.Take(1024))
            {
                Assert.Equal(1, await dlq.PurgeAsync(id, None));
            }

            Assert.Equal(7, dlq.Count);
            var held = await dlq.ListAsync(100, None);
            Assert.Equal(large, held[0].Payload.ToArray());
            Assert.Equal(tiny.Skip(1024), held.Skip(1).Select(l => l.Id));

            // A write that does not fit fails by itself and leaves no torn record behind.
            await fs.FillAsync(leaveFreeBytes: 0);
            await Assert.ThrowsAnyAsync<IOException>(() => dlq.AddAsync(Poison(large), "does not fit", None).AsTask());
            Assert.Equal(7, dlq.Count);

            // Space is back: the queue works again, and the next removal compacts the file.
            fs.Empty();
            await dlq.AddAsync(Poison([42]), "after", None);
            Assert.Equal(1, await dlq.PurgeAsync(tiny[1024], None));
            Assert.Equal(7, dlq.Count);
            Assert.True(new FileInfo(Path.Combine(options.Directory, "deadletters.log")).Length < large.Length + 4096, "the file was compacted");
        }

        await using (var queue = await OpenAsync(options))
        {
            var letters = await queue.DeadLetters.ListAsync(100, None);
            Assert.Equal(["large", "tiny", "tiny", "tiny", "tiny", "tiny", "after"], letters.Select(l => l.Reason));
            Assert.Equal(large, letters[0].Payload.ToArray());
            Assert.Equal([42], letters[^1].Payload.ToArray());

            // A purge of everything is a rewrite too; it leaves an empty, usable queue.
            Assert.Equal(7, await queue.DeadLetters.PurgeAsync(null, None));
            await queue.DeadLetters.AddAsync(Poison([7]), "fresh", None);
        }

        await using var last = await OpenAsync(options);
        Assert.Equal("fresh", Assert.Single(await last.DeadLetters.ListAsync(10, None)).Reason);
    }
}
