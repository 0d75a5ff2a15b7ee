using ViewingHistory.Pipeline.Tests.Infrastructure;
using ViewingHistory.Testing;

namespace ViewingHistory.Pipeline.Tests.Processing;

/// <summary>
/// Poison on JetStream and PostgreSQL, made real: the database refuses one member's rows (check_violation is not
/// transient). DESIGN.md trap: after MaxDeliver, JetStream stops redelivering silently, so an entry failing
/// permanently on its last delivery must go to the dead-letter queue then, not after the processor's usual
/// MaxAttempts retries (a crash during those would lose it for good). Moved here from the server's tests: it is the
/// processor's policy, not HTTP.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class LastDeliveryTests(DistributedEngines engines)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 120_000)]
    public async Task A_poison_entry_on_its_last_JetStream_delivery_is_dead_lettered_at_once()
    {
        var member = Batches.NewId("poison");
        await using var store = await Poison.PostgresRefusingAsync(await engines.Postgres.CreateDatabaseAsync(), member);
        await using var queue = await JetStreamFixtures.NewQueueAsync(engines.Nats.Url, maxDeliver: 2);
        await queue.AppendAsync(Batches.One(member, "t1"), CancellationToken.None);

        // Delivery 1 of 2 is taken and never acknowledged (a processor that crashed), so the processor sees the entry
        // on its last delivery.
        await using (var crashed = queue.OpenConsumer("processor"))
        {
            var first = await crashed.ReceiveAsync(100, TimeSpan.FromSeconds(5), CancellationToken.None);
            Assert.Equal(1, Assert.Single(first.Entries).DeliveryCount);
        }

        // Retries of permanent failures alone would take minutes: 100 attempts, backing off up to a minute.
        await using var rig = new ProcessorRig(queue, store, ProcessorRig.Quick(maxAttempts: 100) with { MaxBackoff = TimeSpan.FromMinutes(1) });
        await rig.StartAsync();

        var letters = await Eventually.UntilAsync(() => queue.DeadLetters.ListAsync(10, CancellationToken.None), l => l.Count > 0, Deadline, "the poison entry to be dead-lettered");
        Assert.Contains("refuse_poison", Assert.Single(letters).Reason, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_poison_entry_on_its_first_delivery_is_dead_lettered_after_MaxAttempts_and_the_rest_is_applied()
    {
        var member = Batches.NewId("poison");
        var healthy = Batches.NewId("m");
        await using var store = await Poison.PostgresRefusingAsync(await engines.Postgres.CreateDatabaseAsync(), member);
        await using var queue = await JetStreamFixtures.NewQueueAsync(engines.Nats.Url, maxDeliver: 20);
        await queue.AppendAsync(Batches.One(member, "t1"), CancellationToken.None);
        await queue.AppendAsync(Batches.One(healthy, "t1"), CancellationToken.None);

        await using var rig = new ProcessorRig(queue, store, ProcessorRig.Quick(maxAttempts: 2) with { MaxBackoff = TimeSpan.FromMilliseconds(100) });
        await rig.StartAsync();

        await Eventually.UntilAsync(() => StoreReads.ItemAsync(store, healthy, "t1"), i => i is not null, Deadline, "the healthy entry to be applied");
        var letters = await Eventually.UntilAsync(() => queue.DeadLetters.ListAsync(10, CancellationToken.None), l => l.Count > 0, Deadline, "the poison entry to be dead-lettered");
        var letter = Assert.Single(letters);
        Assert.Contains("refuse_poison", letter.Reason, StringComparison.Ordinal);
        Assert.Equal(1, letter.EventCount);
        Assert.Null(await StoreReads.ItemAsync(store, member, "t1"));
    }
}
