namespace ViewingHistory.Server.Configuration;

/// <summary>Top-level settings: where local state lives and which roles this process plays.</summary>
public sealed record ServiceOptions
{
    /// <summary>Local state: the embedded queue, the SQLite store, generated credentials. Default <c>./data</c>.</summary>
    public string DataDir { get; init; } = "data";

    /// <summary>Comma-separated subset of <c>ingest</c>, <c>processor</c>, <c>api</c>; default all three.</summary>
    public string Roles { get; init; } = "ingest,processor,api";
}
