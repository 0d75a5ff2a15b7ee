namespace ViewingHistory.Store;

/// <summary>
/// The service keys of the stores an engine's <c>AddXxxStore</c> registers as keyed singletons, so the container
/// disposes them (the SQLite writer thread and connection, the Npgsql data source) on shutdown.
/// </summary>
public static class HistoryStoreKeys
{
    /// <summary>The authoritative store.</summary>
    public const string Primary = "primary";

    /// <summary>The store the async path builds in shadow mode; created only when something resolves it.</summary>
    public const string Shadow = "shadow";
}
