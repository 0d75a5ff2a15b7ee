using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>One PostgreSQL server for the fault tests that need one; each test makes its own database.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
