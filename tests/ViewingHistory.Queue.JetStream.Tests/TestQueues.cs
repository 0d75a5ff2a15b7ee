using NATS.Client.Core;
using NATS.Client.JetStream;
using ViewingHistory.Core.Events;
using ViewingHistory.Queue.JetStream;

namespace ViewingHistory.Queue.JetStream.Tests;

/// <summary>Fresh streams, batches and drain loops for the tests: every test owns its stream and its event ids.</summary>
internal static class TestQueues
{
    public static JetStreamQueueOptions Options(string url) => new()
    {
        Url = url,
        StreamName = "T_" + Guid.NewGuid().ToString("N").ToUpperInvariant(),
        StatsRefreshInterval = TimeSpan.FromMilliseconds(200),
    };

    public static async Task<JetStreamEventQueue> StartAsync(JetStreamQueueOptions options)
    {
        var queue = new JetStreamEventQueue(options);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await queue.InitializeAsync(cts.Token);
        return queue;
    }

    public static AcceptedBatch Batch(string prefix, int events)
    {
        var list = new PlaybackEvent[events];
        for (var i = 0; i < events; i++)
        {
            list[i] = new PlaybackEvent(
                $"{prefix}-e{i}", "member-1", "title-1", $"{prefix}-s", i, PlaybackEventType.Progress,
                i * 1_000L, 7_200_000L, 1_790_000_000_000L + i, i % 2 == 0 ? "tv" : null);
        }

        return new AcceptedBatch(1_790_000_000_000L, list);
    }

    /// <summary>Receives (and acknowledges, unless told not to) until <paramref name="entries"/> entries arrived.</summary>
    public static async Task<List<QueueEntry>> ReceiveAsync(IQueueConsumer consumer, int entries, TimeSpan timeout, bool ack = true, int maxEvents = 1_000)
    {
        using var cts = new CancellationTokenSource(timeout);
        var received = new List<QueueEntry>();
        while (received.Count < entries)
        {
            QueueDelivery delivery;
            try
            {
                delivery = await consumer.ReceiveAsync(maxEvents, TimeSpan.FromSeconds(1), cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                throw new TimeoutException($"Received {received.Count} of {entries} entries within {timeout.TotalSeconds:0} s.");
            }

            received.AddRange(delivery.Entries);
            if (ack && delivery.Entries.Count > 0)
            {
                await consumer.AckAsync(delivery, cts.Token);
            }
        }

        return received;
    }

    /// <summary>Receives and acknowledges until every id in <paramref name="ids"/> was delivered; returns every id seen.</summary>
    public static async Task<HashSet<string>> ReceiveIdsAsync(IQueueConsumer consumer, IReadOnlyCollection<string> ids, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var seen = new HashSet<string>();
        while (!ids.All(seen.Contains))
        {
            try
            {
                var delivery = await consumer.ReceiveAsync(1_000, TimeSpan.FromSeconds(1), cts.Token);
                seen.UnionWith(delivery.Entries.Select(e => e.Id));
                if (delivery.Entries.Count > 0)
                {
                    await consumer.AckAsync(delivery, cts.Token);
                }
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                throw new TimeoutException($"{ids.Count(i => !seen.Contains(i))} of {ids.Count} ids not delivered within {timeout.TotalSeconds:0} s.");
            }
            catch (QueueUnavailableException)
            {
                // Transient, as a processor treats it (a node just restarted): try again until the deadline.
                await Task.Delay(100, cts.Token);
            }
        }

        return seen;
    }

    /// <summary>Publishes bytes as they are onto the stream's batch subject, as a foreign or corrupt writer would.</summary>
    public static async Task PublishRawAsync(JetStreamQueueOptions options, byte[] payload, CancellationToken cancellationToken, int stream = 0)
    {
        await using var raw = new NatsConnection(new NatsOpts { Url = options.Url });
        var ack = await new NatsJSContext(raw).PublishAsync(options.StreamNameOf(stream) + ".batch", payload, cancellationToken: cancellationToken);
        ack.EnsureSuccess();
    }

    /// <summary>Bytes the server holds in the stream.</summary>
    public static async Task<long> StreamBytesAsync(JetStreamQueueOptions options, CancellationToken cancellationToken, int index = 0)
    {
        await using var raw = new NatsConnection(new NatsOpts { Url = options.Url });
        var stream = await new NatsJSContext(raw).GetStreamAsync(options.StreamNameOf(index), cancellationToken: cancellationToken);
        return (long)stream.Info.State.Bytes;
    }

    public static CancellationToken Within(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
