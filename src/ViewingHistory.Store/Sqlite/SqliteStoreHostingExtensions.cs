using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ViewingHistory.Store.Sqlite;

/// <summary>The SQLite store's wiring: the one place it is configured.</summary>
public static class SqliteStoreHostingExtensions
{
    /// <summary>
    /// Registers the SQLite stores as keyed <see cref="IHistoryStore"/> singletons: <see cref="HistoryStoreKeys.Primary"/>
    /// in <c>{directory}/history.db</c> and <see cref="HistoryStoreKeys.Shadow"/> in <c>{directory}/history-shadow.db</c>.
    /// SQLite takes no settings of its own; the container disposes each store it created.
    /// </summary>
    public static IHostApplicationBuilder AddSqliteStore(this IHostApplicationBuilder builder, string directory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        builder.Services.AddKeyedSingleton<IHistoryStore>(HistoryStoreKeys.Primary, (_, _) => new SqliteHistoryStore(Path.Combine(directory, "history.db")));
        builder.Services.AddKeyedSingleton<IHistoryStore>(HistoryStoreKeys.Shadow, (_, _) => new SqliteHistoryStore(Path.Combine(directory, "history-shadow.db")));
        return builder;
    }
}
