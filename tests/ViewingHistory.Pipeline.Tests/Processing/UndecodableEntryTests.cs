using ViewingHistory.Pipeline.Tests.Infrastructure;
using ViewingHistory.Store.Sqlite;
using ViewingHistory.Testing;

namespace ViewingHistory.Pipeline.Tests.Processing;

/// <summary>
/// Bytes on the queue that are not an event batch are the entry's own fault, whatever the store's state: dead-lettered
/// at once, with no retries (the processor here would otherwise retry for minutes), and the good entry beside it is
/// applied.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class UndecodableEntryTests(DistributedEngines engines) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new("vh-pipeline-undecodable");

    [Fact(Timeout = 120_000)]
    public async Task An_undecodable_entry_is_dead_lettered_at_once_and_the_entry_beside_it_is_applied()
    {
        await using var queue = await JetStreamFixtures.NewQueueAsync(engines.Nats.Url, maxDeliver: 20);
        await using var store = new SqliteHistoryStore(Path.Combine(_dir.Path, "history.db"));
        await store.InitializeAsync(CancellationToken.None);
        await JetStreamFixtures.PublishRawAsync(queue, [1, 2, 3, 4, 5]);
        var member = Batches.NewId("m");
        await queue.AppendAsync(Batches.One(member, "t1"), CancellationToken.None);

        await using var rig = new ProcessorRig(queue, store, ProcessorRig.Quick(maxAttempts: 100) with { MaxBackoff = TimeSpan.FromMinutes(1) });
        await rig.StartAsync();

        var letters = await Eventually.UntilAsync(() => queue.DeadLetters.ListAsync(10, CancellationToken.None), l => l.Count > 0, Deadline, "the undecodable entry to be dead-lettered");
        var letter = Assert.Single(letters);
        Assert.StartsWith("Undecodable entry", letter.Reason, StringComparison.Ordinal);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, letter.Payload.ToArray());
        await Eventually.UntilAsync(() => StoreReads.ItemAsync(store, member, "t1"), i => i is not null, Deadline, "the good entry to be applied");
        Assert.Equal(0, rig.Logs.Count("entries failed"));
    }

    public void Dispose() => _dir.Dispose();
}
