using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ViewingHistory.Store.Sqlite;

/// <summary>The SQLite store's wiring: the one place it is configured.</summary>
public static class SqliteStoreHostingExtensions
{
    /// <summary>
    /// Registers the SQLite stores as keyed <see cref="IHistoryStore"/> singletons: <see cref="HistoryStoreKeys.Primary"/>
    /// in <c>{directory}/history.db</c> and <see cref="HistoryStoreKeys.Shadow"/> in <c>{directory}/history-shadow.db</c>.
    /// Its one setting, <c>Store:SqliteRowCacheItems</c>, sizes the writer's row cache (<see cref="SqliteHistoryStore.DefaultRowCacheItems"/>
    /// items by default; 0 turns it off); the container disposes each store it created.
    /// </summary>
    public static IHostApplicationBuilder AddSqliteStore(this IHostApplicationBuilder builder, string directory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var cacheItems = builder.Configuration.GetValue("Store:SqliteRowCacheItems", SqliteHistoryStore.DefaultRowCacheItems);
        if (cacheItems < 0)
        {
            throw new InvalidOperationException($"Store:SqliteRowCacheItems must be 0 or more (it is {cacheItems}).");
        }

        builder.Services.AddKeyedSingleton<IHistoryStore>(HistoryStoreKeys.Primary, (_, _) => new SqliteHistoryStore(Path.Combine(directory, "history.db"), rowCacheItems: cacheItems));
        builder.Services.AddKeyedSingleton<IHistoryStore>(HistoryStoreKeys.Shadow, (_, _) => new SqliteHistoryStore(Path.Combine(directory, "history-shadow.db"), rowCacheItems: cacheItems));
        return builder;
    }
}
