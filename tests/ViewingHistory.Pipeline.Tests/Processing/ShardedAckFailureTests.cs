using Npgsql;
using ViewingHistory.Core.Events;
using ViewingHistory.Pipeline.Tests.Infrastructure;
using ViewingHistory.Queue;
using ViewingHistory.Store.Sharding;
using ViewingHistory.Testing;

namespace ViewingHistory.Pipeline.Tests.Processing;

/// <summary>
/// Found by the sharded chaos test: a NATS node lost just as a shard came back made the acknowledgement of the first
/// released delivery fail, and the backlog's loop died with it. The other deliveries released in that round stayed held
/// (kept alive, never acknowledged, never delivered again) and the shard's later parts joined a backlog nothing tried:
/// its members stalled for good. Now a failed acknowledgement leaves that one delivery to the queue's redelivery, and the
/// others are acknowledged.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class ShardedAckFailureTests(DistributedEngines engines)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact(Timeout = 120_000)]
    public async Task An_acknowledgement_failing_when_held_parts_commit_leaves_nothing_held_and_the_shard_goes_on()
    {
        string[] shards = [await engines.Postgres.CreateDatabaseAsync(), await engines.Postgres.CreateDatabaseAsync()];
        await using var store = new ShardedHistoryStore(shards, null, "vh_feed");
        await store.InitializeAsync(CancellationToken.None);
        await using var jetStream = await JetStreamFixtures.NewQueueAsync(engines.Nats.Url, maxDeliver: 20);
        await using var queue = new AckFailingQueue(jetStream);

        // Shard 0 does not answer (its sessions table locked): its parts are held after ShardWait.
        await using var blocker = new NpgsqlConnection(shards[0]);
        await blocker.OpenAsync();
        var locking = await blocker.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE", blocker, locking))
        {
            await command.ExecuteNonQueryAsync();
        }

        var options = ProcessorRig.Quick() with { ShardWait = TimeSpan.FromMilliseconds(300), MaxBackoff = TimeSpan.FromMilliseconds(200) };
        await using var rig = new ProcessorRig(queue, store, options);
        await rig.StartAsync();
        var held = Enumerable.Range(0, 3).Select(i => Batches.NewMemberOnShard(0, $"held{i}")).ToList();
        var healthy = Batches.NewMemberOnShard(1, "healthy");
        await queue.AppendAsync(Batches.One(healthy, "t1"), CancellationToken.None);
        foreach (var member in held)
        {
            // One delivery each: the backlog then releases several deliveries in the round that commits.
            await queue.AppendAsync(Batches.One(member, "t1"), CancellationToken.None);
            await rig.WaitForLogAsync("did not take its part", 1, "shard 0's first part to be held");
            await Task.Delay(300);
        }

        await Eventually.UntilAsync(() => StoreReads.ItemAsync(store, healthy, "t1"), i => i is not null, Deadline, "the other shard's member to be applied meanwhile");

        // The queue fails the next acknowledgement, as during a NATS node's loss; then shard 0 answers again.
        queue.FailNextAcks(1);
        await locking.RollbackAsync();

        foreach (var member in held)
        {
            await Eventually.UntilAsync(() => StoreReads.ItemAsync(store, member, "t1"), i => i is not null, Deadline, $"{member} to be applied");
        }

        await Eventually.UntilAsync(() => Task.FromResult(queue.FailedAcks), n => n == 1, Deadline, "the acknowledgement to have failed once");
        var later = Batches.NewMemberOnShard(0, "later");
        await queue.AppendAsync(Batches.One(later, "t1"), CancellationToken.None);
        await Eventually.UntilAsync(() => StoreReads.ItemAsync(store, later, "t1"), i => i is not null, Deadline, "a later part of shard 0 to be applied");

        // Every delivery acknowledged in the end: the one whose acknowledgement failed came again and was acknowledged.
        await Eventually.UntilAsync(
            () => JetStreamFixtures.ProcessorConsumerAsync(jetStream),
            info => info.NumAckPending == 0 && info.NumPending == 0,
            Deadline,
            "every delivery to be acknowledged");
        Assert.Empty(await jetStream.DeadLetters.ListAsync(10, CancellationToken.None));
    }

    /// <summary>The real queue, whose consumers fail the acknowledgements they are told to with the queue's outage error.</summary>
    private sealed class AckFailingQueue(IEventQueue inner) : IEventQueue
    {
        private int _toFail;
        private int _failed;

        public int FailedAcks => Volatile.Read(ref _failed);

        public IDeadLetterQueue DeadLetters => inner.DeadLetters;

        public void FailNextAcks(int count) => Volatile.Write(ref _toFail, count);

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public ValueTask AppendAsync(AcceptedBatch batch, CancellationToken cancellationToken) => inner.AppendAsync(batch, cancellationToken);

        public IQueueConsumer OpenConsumer(string name) => new Consumer(this, inner.OpenConsumer(name));

        public Task<bool> RetireConsumerAsync(string name, CancellationToken cancellationToken) => inner.RetireConsumerAsync(name, cancellationToken);

        public ValueTask<bool> IsHealthyAsync(CancellationToken cancellationToken) => inner.IsHealthyAsync(cancellationToken);

        public ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken) => inner.IsReachableAsync(cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask; // the test disposes the real queue

        private bool ShouldFail()
        {
            while (true)
            {
                var left = Volatile.Read(ref _toFail);
                if (left <= 0)
                {
                    return false;
                }

                if (Interlocked.CompareExchange(ref _toFail, left - 1, left) == left)
                {
                    Interlocked.Increment(ref _failed);
                    return true;
                }
            }
        }

        private sealed class Consumer(AckFailingQueue queue, IQueueConsumer inner) : IQueueConsumer
        {
            public long LagEvents => inner.LagEvents;

            public IReadOnlyList<KeyValuePair<string, long>> StreamLags => inner.StreamLags;

            public int? MaxDeliveries => inner.MaxDeliveries;

            public ValueTask<QueueDelivery> ReceiveAsync(int maxEvents, TimeSpan maxWait, CancellationToken cancellationToken) =>
                inner.ReceiveAsync(maxEvents, maxWait, cancellationToken);

            public ValueTask AckAsync(QueueDelivery delivery, CancellationToken cancellationToken) =>
                queue.ShouldFail() ? throw new QueueUnavailableException("acknowledgement refused by the test (a NATS node lost)") : inner.AckAsync(delivery, cancellationToken);

            public ValueTask KeepAliveAsync(QueueDelivery delivery, CancellationToken cancellationToken) => inner.KeepAliveAsync(delivery, cancellationToken);

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
