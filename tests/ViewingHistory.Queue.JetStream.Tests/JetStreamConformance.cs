using ViewingHistory.Queue.Conformance;
using ViewingHistory.Testing.Nats;

namespace ViewingHistory.Queue.JetStream.Tests;

/// <summary>
/// What the JetStream engine declares to the queue conformance suite, shared by the suite's runs on the bare
/// JetStream queue and on the spool in front of it (whose consumers and dead letters are JetStream's). Each test gets
/// its own stream on the shared server.
/// </summary>
/// <remarks>
/// A short ack wait keeps the redelivery cases to seconds; no backoff, because the server takes its first value as the
/// ack wait; MaxDeliver 3 so that the case where redelivery stops runs in a few ack waits. The default dedup window
/// (2 minutes) covers the whole test, so every dead-letter replay in the suite happens inside it.
/// </remarks>
public abstract class JetStreamConformance(NatsServer server) : QueueConformance
{
    private static readonly TimeSpan TestAckWait = TimeSpan.FromSeconds(3);
    private const int TestMaxDeliver = 3;

    /// <summary>
    /// <c>Queue:Streams</c> of the run. The suite's batches are all of one member, so with S &gt; 1 they all land in that
    /// member's stream (order within a stream is what the ordering cases check), while every consumer reads all S: the
    /// cases then prove that waiting, fetching, lag, redelivery and dead letters work across the S streams.
    /// </summary>
    protected virtual int Streams => 1;

    /// <summary>This test's stream and consumer settings.</summary>
    protected JetStreamQueueOptions Options { get; private set; } = null!;

    /// <summary>JetStream redelivers after the consumer's AckWait.</summary>
    protected override TimeSpan? AckWait => TestAckWait;

    /// <summary>Deliveries carry the server's NumDelivered.</summary>
    protected override bool CountsRedeliveries => true;

    /// <summary>Explicit ack policy: each message is acknowledged on its own.</summary>
    protected override bool AcknowledgesEachEntry => true;

    /// <summary>Limits retention: acknowledged messages stay for later consumers (the archive) until MaxAge.</summary>
    protected override bool RetainsAcknowledgedEntries => true;

    /// <summary>The server stops redelivering after MaxDeliver, silently.</summary>
    protected override int? MaxDeliveries => TestMaxDeliver;

    /// <summary>Limits, not consumers, decide what the stream keeps, and other nodes may still run the consumer: it is left alone.</summary>
    protected override bool RetiresConsumers => false;

    protected override Task CreateLocationAsync()
    {
        Options = TestQueues.Options(server.Url) with { AckWait = TestAckWait, Backoff = [], MaxDeliver = TestMaxDeliver, Streams = Streams };
        return Task.CompletedTask;
    }

    /// <summary>Onto the stream the suite's member's batches go to, so that the poison sits between them.</summary>
    protected override Task AppendUndecodableAsync(byte[] payload) =>
        TestQueues.PublishRawAsync(Options, payload, Token, StreamLayout.StreamOf("member-1", Options.Streams));

    protected override async Task<long> RetainedBytesAsync()
    {
        long bytes = 0;
        for (var i = 0; i < Options.Streams; i++)
        {
            bytes += await TestQueues.StreamBytesAsync(Options, Token, i);
        }

        return bytes;
    }
}
