using ViewingHistory.Testing.Nats;

namespace ViewingHistory.Queue.JetStream.Tests;

/// <summary>The queue conformance suite on JetStream: a real nats-server, one stream per test.</summary>
[Collection(NatsServerCollection.Name)]
public sealed class JetStreamQueueConformanceTests(NatsServer server) : JetStreamConformance(server)
{
    protected override IEventQueue NewQueue() => new JetStreamEventQueue(Options);
}
