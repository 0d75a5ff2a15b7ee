using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Infrastructure;

/// <summary>The contract classes that run on the shared distributed engines (one nats-server, one PostgreSQL).</summary>
[CollectionDefinition(Name)]
public sealed class DistributedEnginesCollection : ICollectionFixture<DistributedEngines>
{
    public const string Name = "distributed-engines";
}
