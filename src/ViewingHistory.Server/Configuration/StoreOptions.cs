namespace ViewingHistory.Server.Configuration;

/// <summary>
/// The engine-neutral settings of the <c>Store</c> section. <c>Store:Kind</c> chooses the engine
/// (<see cref="EngineKinds"/>); each engine binds its own settings (<c>AddSqliteStore</c>, <c>AddPostgresStore</c>).
/// </summary>
internal sealed record StoreOptions
{
    /// <summary>How long the change feed keeps changes.</summary>
    public TimeSpan ChangeRetention { get; init; } = TimeSpan.FromDays(7);
}
