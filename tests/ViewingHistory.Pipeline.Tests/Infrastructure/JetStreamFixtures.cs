using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using ViewingHistory.Queue.JetStream;
using ViewingHistory.Testing;

namespace ViewingHistory.Pipeline.Tests.Infrastructure;

/// <summary>A fresh stream per test on the shared nats-server, and a look at the processor's durable consumer from outside.</summary>
public static class JetStreamFixtures
{
    /// <summary>The durable JetStream consumer behind <c>OpenConsumer("processor")</c>.</summary>
    public const string ProcessorDurable = "vh-processor";

    /// <summary>A queue on a new stream whose deliveries time out after 1 s and stop after <paramref name="maxDeliver"/>.</summary>
    public static async Task<JetStreamEventQueue> NewQueueAsync(string url, int maxDeliver = 2)
    {
        var queue = new JetStreamEventQueue(new JetStreamQueueOptions
        {
            Url = url,
            StreamName = DistributedEngines.NewStreamName(),
            AckWait = TimeSpan.FromSeconds(1),
            Backoff = [TimeSpan.FromSeconds(1)],
            MaxDeliver = maxDeliver,
        });
        await queue.InitializeAsync(CancellationToken.None);
        return queue;
    }

    /// <summary>What the server knows of the processor's consumer (pending, unacknowledged, redelivered).</summary>
    public static async Task<ConsumerInfo> ProcessorConsumerAsync(JetStreamEventQueue queue)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = queue.Options.Url });
        var js = new NatsJSContext(nats);
        var consumer = await js.GetConsumerAsync(queue.Options.StreamName, ProcessorDurable);
        return consumer.Info;
    }

    /// <summary>Publishes bytes on the stream's batch subject as they are, as a foreign or broken publisher would.</summary>
    public static async Task PublishRawAsync(JetStreamEventQueue queue, byte[] payload)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = queue.Options.Url });
        var js = new NatsJSContext(nats);
        var ack = await js.PublishAsync(queue.Options.StreamName + ".batch", payload);
        ack.EnsureSuccess();
    }
}
