using ViewingHistory.Pipeline.Tests.Infrastructure;
using ViewingHistory.Queue;
using ViewingHistory.Queue.Embedded;
using ViewingHistory.Store.Postgres;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Faults;

namespace ViewingHistory.Pipeline.Tests.Processing;

/// <summary>
/// DESIGN.md "What permanent means": a store that cannot take writes (a read-only PostgreSQL, SQLSTATE 25006, as after a
/// failover) is the store's state, not the entry's fault. The processor holds the delivery and retries for as long as
/// it lasts; nothing is dead-lettered, and the delivery is applied once the store is writable again. Each test waits for
/// a number of failed attempts, not for a time.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class StoreStateTests(DistributedEngines engines) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private const string TransientFailure = "retrying (a transient failure: the store's state)";
    private readonly TempDirectory _dir = new("vh-pipeline-state");

    [Fact(Timeout = 180_000)]
    public async Task A_read_only_store_dead_letters_nothing_and_the_delivery_is_applied_once_it_is_writable()
    {
        var db = await engines.Postgres.CreateDatabaseAsync();
        await using var store = new PostgresHistoryStore(db);
        await store.InitializeAsync(CancellationToken.None);
        await using var queue = new EmbeddedEventQueue(new EmbeddedQueueOptions { Directory = Path.Combine(_dir.Path, "queue") });
        await queue.InitializeAsync(CancellationToken.None);
        var member = Batches.NewId("m");
        await queue.AppendAsync(Batches.One(member, "t1"), CancellationToken.None);

        // One attempt before isolation, the shortest backoff: what made the old classification dead-letter at once.
        await using var rig = new ProcessorRig(queue, store, ProcessorRig.Quick(maxAttempts: 1));
        await PostgresReadOnly.SetAsync(engines.Postgres, db, readOnly: true);
        try
        {
            await rig.StartAsync();
            await rig.WaitForLogAsync(TransientFailure, 8, "eight failed attempts against the read-only store");
            Assert.Contains(rig.Logs.Lines, l => l.Contains("25006", StringComparison.Ordinal));
            Assert.Empty(await queue.DeadLetters.ListAsync(10, CancellationToken.None));
            Assert.Null(await StoreReads.ItemAsync(store, member, "t1"));
        }
        finally
        {
            await PostgresReadOnly.SetAsync(engines.Postgres, db, readOnly: false);
        }

        await Eventually.UntilAsync(() => StoreReads.ItemAsync(store, member, "t1"), i => i is not null, Deadline, "the held delivery to be applied");
        Assert.Empty(await queue.DeadLetters.ListAsync(10, CancellationToken.None));
    }

    [Fact(Timeout = 180_000)]
    public async Task A_transient_failure_holds_the_JetStream_delivery_unacknowledged_and_not_redelivered_until_it_is_applied()
    {
        var db = await engines.Postgres.CreateDatabaseAsync();
        await using var store = new PostgresHistoryStore(db);
        await store.InitializeAsync(CancellationToken.None);

        // AckWait 1 s and MaxDeliver 2: without the in-progress acks the entry would come again within a second or
        // two, and on that last delivery nothing would bring it back after another failure.
        await using var queue = await JetStreamFixtures.NewQueueAsync(engines.Nats.Url, maxDeliver: 2);
        var member = Batches.NewId("m");
        await queue.AppendAsync(Batches.One(member, "t1"), CancellationToken.None);

        await using var rig = new ProcessorRig(queue, store, ProcessorRig.Quick(maxAttempts: 1));
        await PostgresReadOnly.SetAsync(engines.Postgres, db, readOnly: true);
        try
        {
            await rig.StartAsync();

            // Twenty failed attempts with backoff between them: longer than an ack wait.
            await rig.WaitForLogAsync(TransientFailure, 20, "twenty failed attempts against the read-only store");
            var held = await JetStreamFixtures.ProcessorConsumerAsync(queue);
            Assert.Equal(1, held.NumAckPending);
            Assert.Equal(0, held.NumRedelivered);
            Assert.Empty(await queue.DeadLetters.ListAsync(10, CancellationToken.None));
        }
        finally
        {
            await PostgresReadOnly.SetAsync(engines.Postgres, db, readOnly: false);
        }

        await Eventually.UntilAsync(() => StoreReads.ItemAsync(store, member, "t1"), i => i is not null, Deadline, "the held delivery to be applied");
        await Eventually.UntilAsync(
            () => JetStreamFixtures.ProcessorConsumerAsync(queue),
            info => info.NumAckPending == 0 && info.NumPending == 0,
            Deadline,
            "the delivery to be acknowledged");
        Assert.Empty(await queue.DeadLetters.ListAsync(10, CancellationToken.None));
    }

    public void Dispose() => _dir.Dispose();
}
