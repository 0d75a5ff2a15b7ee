using ViewingHistory.Testing;

namespace ViewingHistory.Pipeline.Tests.Infrastructure;

/// <summary>The test classes that share one nats-server and one PostgreSQL (each test takes its own stream and database).</summary>
[CollectionDefinition(Name)]
public sealed class EnginesCollection : ICollectionFixture<DistributedEngines>
{
    public const string Name = "engines";
}
