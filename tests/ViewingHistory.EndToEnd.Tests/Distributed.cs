using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>One PostgreSQL server for the fault tests that need one; each test makes its own database.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}

/// <summary>Settings of a server process in distributed mode (JetStream; PostgreSQL or its own SQLite).</summary>
public static class Distributed
{
    public const string IngestKey = "e2e-ingest-key-0123456789";
    public const string ServiceKey = "e2e-service-key-0123456789";
    public const string MemberTokenSecret = "e2e-member-token-secret-0123456789-abcdef";

    public static Dictionary<string, string> Settings(string dataDir, string natsUrl, string? postgres, string roles = "ingest,processor,api") => new()
    {
        ["DataDir"] = dataDir,
        ["Roles"] = roles,
        ["Auth:IngestKeys:0"] = IngestKey,
        ["Auth:ServiceKeys:0"] = ServiceKey,
        ["Auth:MemberTokenSecret"] = MemberTokenSecret,
        ["Queue:Kind"] = "jetstream",
        ["Queue:Url"] = natsUrl,
        ["Store:Kind"] = postgres is null ? "sqlite" : "postgres",
        ["Store:ConnectionString"] = postgres ?? string.Empty,
        ["Processor:MaxBatchWait"] = "00:00:00.005",
    };

    public static HttpClient Client(ServerProcess server, TimeSpan? timeout = null) =>
        new() { BaseAddress = server.BaseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(10) };

    public static async Task<int> ReadyStatusAsync(ServerProcess server)
    {
        using var response = await server.Client.GetAsync("/health/ready");
        return (int)response.StatusCode;
    }
}
