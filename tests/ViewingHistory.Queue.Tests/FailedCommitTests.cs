using ViewingHistory.Testing;
using ViewingHistory.Testing.Faults;
using Xunit;
using static ViewingHistory.Queue.Tests.TestBatches;

namespace ViewingHistory.Queue.Tests;

/// <summary>A commit that fails (a full disk) fails the appends of its round, and only those.</summary>
public sealed class FailedCommitTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact(Timeout = 180_000)]
    public async Task One_failed_commit_fails_only_its_round_and_later_appends_succeed_once_the_disk_has_space()
    {
        await using var fs = await LoopMount.CreateAsync(32);
        var options = Options(Path.Combine(fs.Path, "queue"));
        var acknowledged = new List<string>();
        await using (var queue = await OpenAsync(options))
        {
            await using var consumer = queue.OpenConsumer("processor");
            for (var i = 0; i < 5; i++)
            {
                await queue.AppendAsync(Make($"before{i}", 20), None);
                acknowledged.Add($"before{i}");
            }

            Assert.Equal(5, (await ReceiveEntriesAsync(consumer, 5)).Sum(d => d.Entries.Count));

            // Appends go on until one cannot be committed: a whole block may still take a few small writes.
            await fs.FillAsync();
            QueueUnavailableException? failure = null;
            for (var i = 0; i < 5000 && failure is null; i++)
            {
                try
                {
                    await queue.AppendAsync(Make($"full{i}", 50), None);
                    acknowledged.Add($"full{i}");
                }
                catch (QueueUnavailableException ex)
                {
                    failure = ex;
                }
            }

            Assert.NotNull(failure);

            // The cause is gone: appends succeed again without a restart.
            fs.Empty();
            var after = await Eventually.UntilAsync(
                async () =>
                {
                    try
                    {
                        await queue.AppendAsync(Make("after", 3), None);
                        return true;
                    }
                    catch (QueueUnavailableException)
                    {
                        return false;
                    }
                },
                ok => ok,
                TimeSpan.FromSeconds(30),
                "an append to succeed once the disk has space");
            acknowledged.Add("after");
            for (var i = 0; i < 5; i++)
            {
                await queue.AppendAsync(Make($"later{i}", 5), None);
                acknowledged.Add($"later{i}");
            }

            Assert.True(await queue.IsHealthyAsync(None));

            // The consumer opened before the failure goes on, and sees every acknowledged append.
            var tags = await ReceiveTagsUntilAsync(consumer, acknowledged.Skip(5).ToHashSet(StringComparer.Ordinal));
            Assert.Superset(acknowledged.Skip(5).ToHashSet(StringComparer.Ordinal), tags);
        }

        // And they are durable: a restart finds every acknowledged append.
        await using var reopened = await OpenAsync(options);
        await using var fresh = reopened.OpenConsumer("reader");
        var all = await ReceiveTagsUntilAsync(fresh, acknowledged.ToHashSet(StringComparer.Ordinal));
        Assert.Superset(acknowledged.ToHashSet(StringComparer.Ordinal), all);
    }

    /// <summary>Receives until every tag in <paramref name="wanted"/> was seen (an entry's tag is its first event id without the index).</summary>
    private static async Task<HashSet<string>> ReceiveTagsUntilAsync(IQueueConsumer consumer, HashSet<string> wanted)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + WaitLimit;
        while (!wanted.IsSubsetOf(seen))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Still missing {string.Join(", ", wanted.Except(seen).Take(10))}.");
            }

            var delivery = await consumer.ReceiveAsync(10_000, TimeSpan.FromMilliseconds(200), None);
            foreach (var entry in delivery.Entries)
            {
                var id = entry.Batch!.Events[0].EventId;
                seen.Add(id[..id.LastIndexOf('-')]);
            }

            await consumer.AckAsync(delivery, None);
        }

        return seen;
    }
}
