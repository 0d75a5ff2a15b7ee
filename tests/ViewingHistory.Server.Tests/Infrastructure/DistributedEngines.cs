using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;

namespace ViewingHistory.Server.Tests.Infrastructure;

/// <summary>
/// One nats-server and one PostgreSQL for every distributed fixture of the assembly (started once, in parallel);
/// each fixture takes its own stream and database, so they stay independent.
/// </summary>
public sealed class DistributedEngines : IAsyncLifetime
{
    public NatsServer Nats { get; } = new();

    public PostgresServer Postgres { get; } = new();

    public Task InitializeAsync() => Task.WhenAll(((IAsyncLifetime)Nats).InitializeAsync(), Postgres.InitializeAsync());

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Nats).DisposeAsync();
        await Postgres.DisposeAsync();
    }

    /// <summary>A fresh JetStream stream name (upper case, no dots: a valid stream and subject token).</summary>
    public static string NewStreamName() => "VH_" + Guid.NewGuid().ToString("N").ToUpperInvariant();
}

/// <summary>The contract classes that run on the shared distributed engines.</summary>
[CollectionDefinition(Name)]
public sealed class DistributedEnginesCollection : ICollectionFixture<DistributedEngines>
{
    public const string Name = "distributed-engines";
}
