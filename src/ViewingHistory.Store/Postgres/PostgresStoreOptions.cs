namespace ViewingHistory.Store.Postgres;

/// <summary>The PostgreSQL store's settings, bound from the <c>Store</c> section.</summary>
public sealed record PostgresStoreOptions
{
    /// <summary>The configuration section the server binds these options from.</summary>
    public const string Section = "Store";

    /// <summary>Npgsql connection string (<c>Store:ConnectionString</c>); required.</summary>
    public string? ConnectionString { get; init; }
}
