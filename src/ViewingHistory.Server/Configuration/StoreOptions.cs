namespace ViewingHistory.Server.Configuration;

/// <summary>The <c>Store</c> section: where the history lives.</summary>
public sealed record StoreOptions
{
    /// <summary><c>sqlite</c> (default: a file in the data dir) or <c>postgres</c>.</summary>
    public string Kind { get; init; } = "sqlite";

    /// <summary>Npgsql connection string for <c>postgres</c>.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>How long the change feed keeps changes.</summary>
    public TimeSpan ChangeRetention { get; init; } = TimeSpan.FromDays(7);
}
