using ViewingHistory.Core.Serialization;
using ViewingHistory.Pipeline.Tests.Infrastructure;
using ViewingHistory.Queue.Embedded;
using ViewingHistory.Store.Sqlite;
using ViewingHistory.Testing;

namespace ViewingHistory.Pipeline.Tests.Processing;

/// <summary>
/// Poison isolation on the embedded defaults (FasterLog and SQLite): SQLite refuses one title for good through a
/// trigger on the store's own file. Of a delivery holding good entries and one poison entry, exactly the poison entry
/// goes to the dead-letter queue and the rest is applied.
/// </summary>
public sealed class PoisonEntryTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new("vh-pipeline-poison");

    [Fact(Timeout = 120_000)]
    public async Task A_delivery_with_one_poison_entry_dead_letters_exactly_that_entry_and_applies_the_rest()
    {
        await using var queue = new EmbeddedEventQueue(new EmbeddedQueueOptions { Directory = Path.Combine(_dir.Path, "queue") });
        await queue.InitializeAsync(CancellationToken.None);
        var dbPath = Path.Combine(_dir.Path, "history.db");
        await using var store = new SqliteHistoryStore(dbPath);
        await store.InitializeAsync(CancellationToken.None);
        await Poison.RejectTitleAsync(dbPath, "poison");

        // Appended before the processor starts, so that the three entries arrive in one delivery.
        var before = Batches.One(Batches.NewId("m"), "good");
        var poison = Batches.One(Batches.NewId("m"), "poison");
        var after = Batches.One(Batches.NewId("m"), "good");
        foreach (var batch in new[] { before, poison, after })
        {
            await queue.AppendAsync(batch, CancellationToken.None);
        }

        await using var rig = new ProcessorRig(queue, store, ProcessorRig.Quick(maxAttempts: 2));
        await rig.StartAsync();

        var letters = await Eventually.UntilAsync(() => queue.DeadLetters.ListAsync(10, CancellationToken.None), l => l.Count > 0, Deadline, "the poison entry to be dead-lettered");
        var letter = Assert.Single(letters);
        Assert.Contains("poison title", letter.Reason, StringComparison.Ordinal);
        Assert.Equal(poison.Events[0].EventId, Assert.Single(EventBatchCodec.Decode(letter.Payload.Span).Events).EventId);

        // Entries are settled in order: the one behind the poison is applied after the dead letter is recorded.
        await Eventually.UntilAsync(() => StoreReads.ItemAsync(store, after.Events[0].MemberId, "good"), i => i is not null, Deadline, "the entry behind the poison to be applied");
        Assert.NotNull(await StoreReads.ItemAsync(store, before.Events[0].MemberId, "good"));
        Assert.Null(await StoreReads.ItemAsync(store, poison.Events[0].MemberId, "poison"));
        Assert.Single(await queue.DeadLetters.ListAsync(10, CancellationToken.None));
    }

    public void Dispose() => _dir.Dispose();
}
