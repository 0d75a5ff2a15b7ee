using ViewingHistory.Testing.Nats;

namespace ViewingHistory.Queue.JetStream.Tests;

/// <summary>The queue conformance suite on JetStream sharded into three streams (<c>Queue:Streams=3</c>).</summary>
[Collection(NatsServerCollection.Name)]
public sealed class ShardedJetStreamQueueConformanceTests(NatsServer server) : JetStreamConformance(server)
{
    protected override int Streams => 3;

    protected override IEventQueue NewQueue() => new JetStreamEventQueue(Options);
}
