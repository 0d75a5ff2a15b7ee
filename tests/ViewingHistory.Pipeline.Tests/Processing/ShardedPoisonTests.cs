using Npgsql;
using ViewingHistory.Pipeline.Tests.Infrastructure;
using ViewingHistory.Store.Sharding;
using ViewingHistory.Testing;

namespace ViewingHistory.Pipeline.Tests.Processing;

/// <summary>
/// Poison over two store shards: shard 0 refuses one member's rows for good. The processor proves it against that shard
/// alone (its backlog's policy) and dead-letters exactly that entry, while the other shard's member is applied.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class ShardedPoisonTests(DistributedEngines engines)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact(Timeout = 120_000)]
    public async Task A_poison_entry_on_one_shard_is_dead_lettered_and_the_other_shards_member_is_applied()
    {
        var member = Batches.NewMemberOnShard(0, "poison");
        var healthy = Batches.NewMemberOnShard(1, "m");
        string[] shards = [await engines.Postgres.CreateDatabaseAsync(), await engines.Postgres.CreateDatabaseAsync()];
        await using var store = new ShardedHistoryStore(shards, null, "vh_feed");
        await store.InitializeAsync(CancellationToken.None);
        await using (var connection = new NpgsqlConnection(shards[0]))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"ALTER TABLE sessions ADD CONSTRAINT refuse_poison CHECK (member_id <> '{member}')", connection);
            await command.ExecuteNonQueryAsync();
        }

        await using var queue = await JetStreamFixtures.NewQueueAsync(engines.Nats.Url, maxDeliver: 20);
        await queue.AppendAsync(Batches.One(member, "t1"), CancellationToken.None);
        await queue.AppendAsync(Batches.One(healthy, "t1"), CancellationToken.None);

        await using var rig = new ProcessorRig(queue, store, ProcessorRig.Quick(maxAttempts: 2) with { MaxBackoff = TimeSpan.FromMilliseconds(100) });
        await rig.StartAsync();

        await Eventually.UntilAsync(() => StoreReads.ItemAsync(store, healthy, "t1"), i => i is not null, Deadline, "the healthy entry to be applied");
        var letters = await Eventually.UntilAsync(() => queue.DeadLetters.ListAsync(10, CancellationToken.None), l => l.Count > 0, Deadline, "the poison entry to be dead-lettered");
        var letter = Assert.Single(letters);
        Assert.Contains("refuse_poison", letter.Reason, StringComparison.Ordinal);
        Assert.Null(await StoreReads.ItemAsync(store, member, "t1"));
    }
}
