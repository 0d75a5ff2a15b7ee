using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ViewingHistory.Store.Sharding;

namespace ViewingHistory.Store.Postgres;

/// <summary>The PostgreSQL store's wiring: the one place it is configured.</summary>
public static class PostgresStoreHostingExtensions
{
    /// <summary>The schema, in shard 0's database, of the primary store's global feed when there are several shards.</summary>
    public const string FeedSchema = "vh_feed";

    /// <summary>
    /// Registers the PostgreSQL stores as keyed <see cref="IHistoryStore"/> singletons, with
    /// <see cref="PostgresStoreOptions"/> bound from the <c>Store</c> section and validated at start:
    /// <see cref="HistoryStoreKeys.Primary"/> in the default schema and <see cref="HistoryStoreKeys.Shadow"/> in the schema
    /// <c>vh_shadow</c> of the same database (of every shard's database, with <c>Store:Shards</c>: a
    /// <see cref="ShardedHistoryStore"/> each). The container disposes each store (its Npgsql data sources) it created.
    /// </summary>
    public static IHostApplicationBuilder AddPostgresStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<PostgresStoreOptions>()
            .BindConfiguration(PostgresStoreOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PostgresStoreOptions>, Validation>();
        builder.Services.AddKeyedSingleton<IHistoryStore>(HistoryStoreKeys.Primary, (sp, _) => Create(Options(sp), schema: null, FeedSchema, Logger(sp)));
        builder.Services.AddKeyedSingleton<IHistoryStore>(HistoryStoreKeys.Shadow, (sp, _) => Create(Options(sp), "vh_shadow", "vh_shadow_feed", Logger(sp)));
        return builder;
    }

    private static IHistoryStore Create(PostgresStoreOptions options, string? schema, string feedSchema, ILogger logger) =>
        options.ShardConnectionStrings is [var one]
            ? new PostgresHistoryStore(one, schema, logger: logger)
            : new ShardedHistoryStore(options.ShardConnectionStrings, schema, feedSchema, logger: logger);

    private static ILogger Logger(IServiceProvider services) => services.GetRequiredService<ILoggerFactory>().CreateLogger<PostgresHistoryStore>();

    /// <summary>Fails the start with the settings' own problem (<see cref="PostgresStoreOptions.Problem"/>).</summary>
    private sealed class Validation : IValidateOptions<PostgresStoreOptions>
    {
        public ValidateOptionsResult Validate(string? name, PostgresStoreOptions options) =>
            options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }

    private static PostgresStoreOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<PostgresStoreOptions>>().Value;
}
