using ViewingHistory.Queue.Conformance;
using ViewingHistory.Queue.Embedded;
using ViewingHistory.Testing;

namespace ViewingHistory.Queue.Tests;

/// <summary>
/// The queue conformance suite on the embedded log: one directory per test, small pages and segments (so truncation
/// has whole segments to free), and truncation every 100 ms so that reclaiming follows acks within the test.
/// </summary>
public sealed class EmbeddedQueueConformanceTests : QueueConformance
{
    private TempDirectory? _directory;

    /// <summary>No ack timer: an unacknowledged delivery holds the watermark until its consumer is reopened.</summary>
    protected override TimeSpan? AckWait => null;

    /// <summary>The log keeps a watermark, not per-entry delivery state: every delivery says 1.</summary>
    protected override bool CountsRedeliveries => false;

    /// <summary>A consumer's position is the contiguous watermark of acknowledged entries.</summary>
    protected override bool AcknowledgesEachEntry => false;

    /// <summary>The log truncates below the slowest registered consumer.</summary>
    protected override bool RetainsAcknowledgedEntries => false;

    /// <summary>Redelivery never stops.</summary>
    protected override int? MaxDeliveries => null;

    /// <summary>The log deletes a retired consumer's checkpoint, so truncation no longer waits for it.</summary>
    protected override bool RetiresConsumers => true;

    protected override Task CreateLocationAsync()
    {
        _directory = new TempDirectory("vh-queue");
        return Task.CompletedTask;
    }

    protected override IEventQueue NewQueue() =>
        new EmbeddedEventQueue(TestBatches.Options(_directory!.Path) with { TruncateInterval = TimeSpan.FromMilliseconds(100) });

    protected override Task DeleteLocationAsync()
    {
        _directory?.Dispose();
        return Task.CompletedTask;
    }

    protected override Task AppendUndecodableAsync(byte[] payload) =>
        ((EmbeddedEventQueue)Queue).AppendRawAsync(payload, Token);

    protected override Task<long> RetainedBytesAsync() => Task.FromResult(LogFiles.Bytes(_directory!.Path));
}
