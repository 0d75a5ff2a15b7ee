using ViewingHistory.Core.Events;
using ViewingHistory.Queue.Embedded;

namespace ViewingHistory.Queue.Tests;

/// <summary>Batches and small-log options for the tests.</summary>
internal static class TestBatches
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    /// <summary>A batch of <paramref name="events"/> events whose ids start with <paramref name="tag"/>.</summary>
    public static AcceptedBatch Make(string tag, int events = 1) =>
        new(1_700_000_000_000, [.. Enumerable.Range(0, events).Select(i => new PlaybackEvent(
            $"{tag}-{i}", "member-1", "title-1", "session-" + tag, i, PlaybackEventType.Progress, 1000L * i, 3_600_000, 1_700_000_000_000 + i, "tv"))]);

    /// <summary>Small pages and segments so that a test fills several segment files quickly.</summary>
    public static EmbeddedQueueOptions Options(string directory) => new()
    {
        Directory = directory,
        PageSizeBits = 16,
        MemorySizeBits = 18,
        SegmentSizeBits = 18,
        MinFreeDiskBytes = 0,
    };

    public static async Task<EmbeddedEventQueue> OpenAsync(EmbeddedQueueOptions options)
    {
        var queue = new EmbeddedEventQueue(options);
        await queue.InitializeAsync(CancellationToken.None);
        return queue;
    }

    /// <summary>Receives deliveries until they hold <paramref name="entries"/> entries in all, or fails after the timeout.</summary>
    public static async Task<List<QueueDelivery>> ReceiveEntriesAsync(IQueueConsumer consumer, int entries, int maxEvents = 1000)
    {
        var deliveries = new List<QueueDelivery>();
        var deadline = DateTime.UtcNow + WaitLimit;
        var received = 0;
        while (received < entries)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Received {received} of {entries} entries.");
            }

            var delivery = await consumer.ReceiveAsync(maxEvents, TimeSpan.FromMilliseconds(200), CancellationToken.None);
            if (delivery.Entries.Count > 0)
            {
                deliveries.Add(delivery);
                received += delivery.Entries.Count;
            }
        }

        return deliveries;
    }

    /// <summary>Event ids of all entries in the deliveries.</summary>
    public static List<string> EventIds(IEnumerable<QueueDelivery> deliveries) =>
        [.. deliveries.SelectMany(d => d.Entries).SelectMany(e => e.Batch!.Events).Select(e => e.EventId)];

    /// <summary>Asserts the consumer has nothing more to deliver right now.</summary>
    public static async Task AssertNothingMoreAsync(IQueueConsumer consumer)
    {
        var more = await consumer.ReceiveAsync(1000, TimeSpan.FromMilliseconds(100), CancellationToken.None);
        Xunit.Assert.Empty(more.Entries);
    }
}
