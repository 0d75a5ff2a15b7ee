namespace ViewingHistory.Store;

/// <summary>The history store engines (<c>Store:Kind</c>).</summary>
public enum StoreKind
{
    /// <summary>SQLite files in the data directory (the default).</summary>
    Sqlite,

    /// <summary>PostgreSQL at <c>Store:ConnectionString</c>.</summary>
    Postgres,
}
