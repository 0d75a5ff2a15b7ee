using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ViewingHistory.Store.Postgres;

/// <summary>The PostgreSQL store's wiring: the one place it is configured.</summary>
public static class PostgresStoreHostingExtensions
{
    /// <summary>
    /// Registers the PostgreSQL stores as keyed <see cref="IHistoryStore"/> singletons, with
    /// <see cref="PostgresStoreOptions"/> bound from the <c>Store</c> section and validated at start:
    /// <see cref="HistoryStoreKeys.Primary"/> in the default schema and <see cref="HistoryStoreKeys.Shadow"/> in the schema
    /// <c>vh_shadow</c> of the same database. The container disposes each store (its Npgsql data source) it created.
    /// </summary>
    public static IHostApplicationBuilder AddPostgresStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<PostgresStoreOptions>()
            .BindConfiguration(PostgresStoreOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.ConnectionString is { Length: > 0 }, "Store:Kind=postgres needs Store:ConnectionString.")
            .ValidateOnStart();
        builder.Services.AddKeyedSingleton<IHistoryStore>(HistoryStoreKeys.Primary, (sp, _) => new PostgresHistoryStore(ConnectionString(sp)));
        builder.Services.AddKeyedSingleton<IHistoryStore>(HistoryStoreKeys.Shadow, (sp, _) => new PostgresHistoryStore(ConnectionString(sp), "vh_shadow"));
        return builder;
    }

    private static string ConnectionString(IServiceProvider services) =>
        services.GetRequiredService<IOptions<PostgresStoreOptions>>().Value.ConnectionString!;
}
