using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>Process tests sharing one nats-server and one PostgreSQL; each test deploys on its own stream and database.</summary>
[CollectionDefinition(Name)]
public sealed class DistributedCollection : ICollectionFixture<DistributedEngines>
{
    public const string Name = "distributed";
}
