using ViewingHistory.Pipeline;
using ViewingHistory.Queue;
using ViewingHistory.Queue.Embedded;
using ViewingHistory.Queue.JetStream;
using ViewingHistory.Server.Configuration;
using ViewingHistory.Store;
using ViewingHistory.Store.Postgres;
using ViewingHistory.Store.Sqlite;

namespace ViewingHistory.Server.Hosting;

/// <summary>
/// Chooses the real engine behind each seam (DESIGN.md principle 7). The host only chooses: each engine's
/// <c>AddXxx</c> method binds and validates its own settings (<see cref="EmbeddedQueueHostingExtensions"/>,
/// <see cref="JetStreamQueueHostingExtensions"/>, <see cref="SqliteStoreHostingExtensions"/>,
/// <see cref="PostgresStoreHostingExtensions"/>).
/// </summary>
internal static class EngineHostingExtensions
{
    /// <summary>Where the embedded queue lives under <paramref name="dataDir"/>.</summary>
    public static string EmbeddedQueueDirectory(string dataDir) => Path.Combine(dataDir, "queue");

    /// <summary>
    /// Adds the queue and the stores <paramref name="kinds"/> name, laid out in <see cref="ServiceOptions.DataDir"/>; an
    /// ingest node on JetStream spools locally (<c>{DataDir}/spool</c>). <see cref="StoreSet"/> holds the primary store,
    /// and in <paramref name="shadow"/> mode the shadow store.
    /// </summary>
    public static IHostApplicationBuilder AddEngines(this IHostApplicationBuilder builder, EngineKinds kinds, ServiceOptions service, bool shadow)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(kinds);
        ArgumentNullException.ThrowIfNull(service);
        _ = kinds.Queue switch
        {
            QueueKind.Embedded => builder.AddEmbeddedQueue(EmbeddedQueueDirectory(service.DataDir)),
            QueueKind.JetStream => builder.AddJetStreamQueue(service.Roles.HasFlag(ServiceRoles.Ingest) ? Path.Combine(service.DataDir, "spool") : null),
            _ => throw new InvalidOperationException($"No queue engine for {kinds.Queue}."),
        };
        if (kinds.Store != StoreKind.Postgres && builder.Configuration.GetSection("Store:Shards").GetChildren().Any())
        {
            throw new InvalidOperationException(
                "Store:Shards needs Store:Kind=postgres: the SQLite store is one file on one node; shards are PostgreSQL servers.");
        }

        _ = kinds.Store switch
        {
            StoreKind.Sqlite => builder.AddSqliteStore(service.DataDir),
            StoreKind.Postgres => builder.AddPostgresStore(),
            _ => throw new InvalidOperationException($"No store engine for {kinds.Store}."),
        };

        builder.Services.AddSingleton(kinds);
        builder.Services.AddSingleton(sp => new StoreSet(
            sp.GetRequiredKeyedService<IHistoryStore>(HistoryStoreKeys.Primary),
            shadow ? sp.GetRequiredKeyedService<IHistoryStore>(HistoryStoreKeys.Shadow) : null));
        return builder;
    }
}
