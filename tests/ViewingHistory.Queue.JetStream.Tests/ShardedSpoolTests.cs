using Microsoft.Extensions.Logging.Abstractions;
using ViewingHistory.Core.Events;
using ViewingHistory.Queue.Embedded;
using ViewingHistory.Queue.JetStream;
using ViewingHistory.Queue.Spool;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using Xunit;
using static ViewingHistory.Queue.JetStream.Tests.TestQueues;

namespace ViewingHistory.Queue.JetStream.Tests;

/// <summary>
/// An ingest node's spool in front of three streams: batches spooled while nats-server is down are forwarded, once it
/// is back, each member's events to its own stream. Runs its own server, because it kills it.
/// </summary>
public sealed class ShardedSpoolTests
{
    [Fact(Timeout = 90_000)]
    public async Task Batches_spooled_during_an_outage_are_forwarded_to_each_members_stream()
    {
        await using var server = await NatsServer.StartNewAsync();
        using var spoolDir = new TempDirectory("vh-spool-s3");
        var options = Options(server.Url) with { Streams = 3, AppendRetryBudget = TimeSpan.FromSeconds(2), PublishAttemptTimeout = TimeSpan.FromSeconds(1) };
        await using var queue = new SpoolingEventQueue(
            new JetStreamEventQueue(options),
            new EmbeddedEventQueue(new EmbeddedQueueOptions { Directory = spoolDir.Path, PageSizeBits = 16, MemorySizeBits = 18, SegmentSizeBits = 18, MinFreeDiskBytes = 0 }),
            new SpoolOptions { PrimaryAttemptTimeout = TimeSpan.FromSeconds(1), RetryDelay = TimeSpan.FromMilliseconds(200) },
            NullLogger.Instance);
        await queue.InitializeAsync(Within(30));

        server.Stop();
        var batches = Enumerable.Range(0, 8).Select(b => new AcceptedBatch(1_790_000_000_000L, [.. Enumerable.Range(0, 9).Select(m => new PlaybackEvent(
            $"sp{b}-e{m}", $"sp-member-{m}", "title-1", $"sp{b}-s{m}", 0, PlaybackEventType.Progress, 0, 7_200_000L, 1_790_000_000_000L, null))])).ToList();
        foreach (var batch in batches)
        {
            // Accepted all the same: into the spool.
            await queue.AppendAsync(batch, Within(30));
        }

        await server.StartAsync();
        var expected = batches.SelectMany(b => b.Events).Select(e => e.EventId).ToHashSet();
        var seen = new HashSet<string>();
        for (var stream = 0; stream < 3; stream++)
        {
            await using var one = await StartAsync(options with { ConsumeStreams = stream.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            var consumer = one.OpenConsumer("verify");
            var mine = batches.SelectMany(b => b.Events).Where(e => StreamLayout.StreamOf(e.MemberId, 3) == stream).Select(e => e.EventId).ToHashSet();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(45));
            var got = new HashSet<string>();
            while (!mine.IsSubsetOf(got))
            {
                try
                {
                    var delivery = await consumer.ReceiveAsync(1_000, TimeSpan.FromSeconds(1), cts.Token);
                    foreach (var e in delivery.Entries.SelectMany(x => x.Batch!.Events))
                    {
                        Assert.Equal(stream, StreamLayout.StreamOf(e.MemberId, 3));
                        got.Add(e.EventId);
                    }

                    await consumer.AckAsync(delivery, cts.Token);
                }
                catch (QueueUnavailableException)
                {
                    await Task.Delay(100, cts.Token);
                }
            }

            seen.UnionWith(got);
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }
}
