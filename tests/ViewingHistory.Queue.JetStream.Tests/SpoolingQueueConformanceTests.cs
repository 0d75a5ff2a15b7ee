using Microsoft.Extensions.Logging.Abstractions;
using ViewingHistory.Queue.Embedded;
using ViewingHistory.Queue.Spool;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;

namespace ViewingHistory.Queue.JetStream.Tests;

/// <summary>
/// The queue conformance suite on what an ingest node runs with <c>Queue:Kind=jetstream</c>: the spool (an embedded
/// log in its own directory) in front of JetStream. With the server up, appends go straight to JetStream and
/// consumers and dead letters are JetStream's, so the decorator must keep every promise of the seam.
/// </summary>
[Collection(NatsServerCollection.Name)]
public sealed class SpoolingQueueConformanceTests(NatsServer server) : JetStreamConformance(server)
{
    private TempDirectory? _spoolDirectory;

    protected override async Task CreateLocationAsync()
    {
        await base.CreateLocationAsync();
        _spoolDirectory = new TempDirectory("vh-spool");
    }

    protected override IEventQueue NewQueue() =>
        new SpoolingEventQueue(
            new JetStreamEventQueue(Options),
            new EmbeddedEventQueue(new EmbeddedQueueOptions
            {
                Directory = _spoolDirectory!.Path,
                // Small pages: the spool stays empty while the server is up, and a test needs no 32 MiB log in memory.
                PageSizeBits = 16,
                MemorySizeBits = 18,
                SegmentSizeBits = 18,
                MinFreeDiskBytes = 0,
            }),
            new SpoolOptions(),
            NullLogger.Instance);

    protected override Task DeleteLocationAsync()
    {
        _spoolDirectory?.Dispose();
        return Task.CompletedTask;
    }
}
