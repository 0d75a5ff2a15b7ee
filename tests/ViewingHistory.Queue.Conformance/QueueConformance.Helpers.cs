using ViewingHistory.Core.Events;

namespace ViewingHistory.Queue.Conformance;

// Batches and receive loops shared by the cases: every wait has a deadline, none is a guess.
public abstract partial class QueueConformance
{
    /// <summary>A batch of <paramref name="events"/> events whose ids are <c>{tag}-e{i}</c>, all of one session.</summary>
    protected static AcceptedBatch Batch(string tag, int events = 1)
    {
        var list = new PlaybackEvent[events];
        for (var i = 0; i < events; i++)
        {
            list[i] = new PlaybackEvent(
                $"{tag}-e{i}", "member-1", "title-1", $"{tag}-s", i, PlaybackEventType.Progress,
                i * 1_000L, 7_200_000L, 1_790_000_000_000L + i, i % 2 == 0 ? "tv" : null);
        }

        return new AcceptedBatch(1_790_000_000_000L, list);
    }

    protected Task AppendAsync(AcceptedBatch batch) => Queue.AppendAsync(batch, Token).AsTask();

    /// <summary>
    /// Receives deliveries until they hold at least <paramref name="entries"/> entries, acknowledging each one when
    /// <paramref name="ack"/> is set; fails once <see cref="WaitLimit"/> passes.
    /// </summary>
    protected async Task<List<QueueDelivery>> ReceiveAsync(IQueueConsumer consumer, int entries, int maxEvents = 1_000, bool ack = false)
    {
        var deliveries = new List<QueueDelivery>();
        var received = 0;
        var deadline = DateTime.UtcNow + WaitLimit;
        while (received < entries)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Received {received} of {entries} entries within {WaitLimit.TotalSeconds:0} s.");
            }

            // One second: JetStream turns waits of a second or more into one long pull, shorter ones into polling.
            var delivery = await consumer.ReceiveAsync(maxEvents, TimeSpan.FromSeconds(1), Token);
            if (delivery.Entries.Count == 0)
            {
                continue;
            }

            deliveries.Add(delivery);
            received += delivery.Entries.Count;
            if (ack)
            {
                await consumer.AckAsync(delivery, Token);
            }
        }

        return deliveries;
    }

    /// <summary>
    /// Receives and acknowledges until <paramref name="entries"/> distinct entries (by id) arrived; returns each once.
    /// A repeat hand-out of one entry (at least once) does not count twice.
    /// </summary>
    protected async Task<List<QueueEntry>> ReceiveDistinctAsync(IQueueConsumer consumer, int entries)
    {
        var distinct = new Dictionary<string, QueueEntry>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + WaitLimit;
        while (distinct.Count < entries)
        {
            Assert.True(DateTime.UtcNow <= deadline, $"Received {distinct.Count} of {entries} distinct entries within {WaitLimit.TotalSeconds:0} s.");
            var delivery = await consumer.ReceiveAsync(1_000, TimeSpan.FromSeconds(1), Token);
            foreach (var entry in delivery.Entries)
            {
                distinct.TryAdd(entry.Id, entry);
            }

            await consumer.AckAsync(delivery, Token);
        }

        return [.. distinct.Values];
    }

    /// <summary>Receives (without acknowledging) until an entry satisfies <paramref name="wanted"/>; returns it.</summary>
    protected async Task<QueueEntry> ReceiveUntilAsync(IQueueConsumer consumer, Func<QueueEntry, bool> wanted, string what)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (DateTime.UtcNow <= deadline)
        {
            var delivery = await consumer.ReceiveAsync(1_000, TimeSpan.FromSeconds(1), Token);
            if (delivery.Entries.FirstOrDefault(wanted) is { } entry)
            {
                return entry;
            }
        }

        throw new TimeoutException($"No delivery of {what} within {WaitLimit.TotalSeconds:0} s.");
    }

    /// <summary>Asserts that nothing is delivered to the consumer for <paramref name="window"/>.</summary>
    protected async Task AssertNothingDeliveredAsync(IQueueConsumer consumer, TimeSpan window)
    {
        var deadline = DateTime.UtcNow + window;
        while (DateTime.UtcNow < deadline)
        {
            var remaining = deadline - DateTime.UtcNow;
            var delivery = await consumer.ReceiveAsync(1_000, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Token);
            Assert.True(
                delivery.Entries.Count == 0,
                $"Expected nothing, got {string.Join(", ", delivery.Entries.SelectMany(e => e.Batch?.Events.Select(v => v.EventId) ?? ["(poison)"]))}.");
        }
    }

    /// <summary>Polls <see cref="IQueueConsumer.LagEvents"/> (a gauge some engines refresh on a timer) until it equals <paramref name="expected"/>.</summary>
    protected static async Task AssertLagBecomesAsync(IQueueConsumer consumer, long expected)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        var delay = TimeSpan.FromMilliseconds(20);
        while (consumer.LagEvents != expected)
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"LagEvents stayed at {consumer.LagEvents}, expected {expected}, for {WaitLimit.TotalSeconds:0} s.");
            }

            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }
    }

    /// <summary>Event ids of every entry in the deliveries, in delivery order.</summary>
    protected static List<string> EventIds(IEnumerable<QueueDelivery> deliveries) =>
        [.. deliveries.SelectMany(d => d.Entries).SelectMany(EventIds)];

    protected static IEnumerable<string> EventIds(QueueEntry entry) => entry.Batch!.Events.Select(e => e.EventId);

    protected static string FirstEventId(QueueEntry entry) => entry.Batch!.Events[0].EventId;
}
