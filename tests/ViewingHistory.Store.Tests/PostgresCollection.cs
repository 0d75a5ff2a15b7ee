using ViewingHistory.Testing;

namespace ViewingHistory.Store.Tests;

/// <summary>One PostgreSQL server for every test of the assembly that needs one; each test makes its own database.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
