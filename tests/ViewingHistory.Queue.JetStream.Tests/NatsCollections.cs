using ViewingHistory.Testing.Nats;
using Xunit;

namespace ViewingHistory.Queue.JetStream.Tests;

/// <summary>Tests sharing one single-node server; each uses its own streams.</summary>
[CollectionDefinition(Name)]
public sealed class NatsServerCollection : ICollectionFixture<NatsServer>
{
    public const string Name = "nats-server";
}

/// <summary>Tests sharing one 3-node JetStream cluster.</summary>
[CollectionDefinition(Name)]
public sealed class NatsClusterCollection : ICollectionFixture<NatsCluster>
{
    public const string Name = "nats-cluster";
}
