using System.Diagnostics.Metrics;
using ViewingHistory.Pipeline.Tests.Infrastructure;
using ViewingHistory.Store.Sqlite;
using ViewingHistory.Testing;

namespace ViewingHistory.Pipeline.Tests.Processing;

/// <summary>
/// What follows a commit (metrics) never decides the fate of the delivery: a committed batch whose bookkeeping throws
/// is not retried, not dead-lettered, and is acknowledged. The failure is real and comes from outside the service: a
/// metrics listener that throws on the processor's counter, as a broken exporter would.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class BookkeepingTests(DistributedEngines engines) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new("vh-pipeline-bookkeeping");

    [Fact(Timeout = 120_000)]
    public async Task A_failure_after_the_commit_leaves_the_delivery_applied_and_acknowledged_and_dead_letters_nothing()
    {
        await using var queue = await JetStreamFixtures.NewQueueAsync(engines.Nats.Url, maxDeliver: 2);
        await using var store = new SqliteHistoryStore(Path.Combine(_dir.Path, "history.db"));
        await store.InitializeAsync(CancellationToken.None);
        var member = Batches.NewId("m");
        await queue.AppendAsync(Batches.One(member, "t1"), CancellationToken.None);

        await using var rig = new ProcessorRig(queue, store, ProcessorRig.Quick(maxAttempts: 2));
        var thrown = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (rig.Meters.Owns(instrument.Meter) && instrument.Name == "vh_processed_events")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) =>
        {
            Interlocked.Increment(ref thrown);
            throw new InvalidOperationException("The metrics exporter broke.");
        });
        listener.Start();
        await rig.StartAsync();

        await Eventually.UntilAsync(() => StoreReads.ItemAsync(store, member, "t1"), i => i is not null, Deadline, "the entry to be applied");
        await Eventually.UntilAsync(
            () => JetStreamFixtures.ProcessorConsumerAsync(queue),
            info => info.NumAckPending == 0 && info.NumPending == 0,
            Deadline,
            "the delivery to be acknowledged");
        Assert.True(Volatile.Read(ref thrown) > 0, "the listener must have thrown into the processor's bookkeeping");
        Assert.True(rig.Logs.Count("bookkeeping after a commit failed") > 0);
        Assert.Equal(0, rig.Logs.Count("entries failed"));
        Assert.Empty(await queue.DeadLetters.ListAsync(10, CancellationToken.None));
    }

    public void Dispose() => _dir.Dispose();
}
