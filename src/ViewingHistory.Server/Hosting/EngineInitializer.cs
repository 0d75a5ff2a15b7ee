using ViewingHistory.Pipeline;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Queue;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Configuration;
using ViewingHistory.Server.Health;
using ViewingHistory.Store;

namespace ViewingHistory.Server.Hosting;

/// <summary>
/// Resolves the credentials, then creates or migrates the queue and the stores before anything else starts (idempotent,
/// safe for concurrent starts). A PostgreSQL store that cannot be reached does not fail the start (CONTRACT.md
/// "Operations": an ingest node started during a store outage must serve): it is initialized by its first operation
/// once it answers, and until then the roles that need it report failing, as in any outage. A refusal of the
/// configuration (a shard placement, credentials, a missing database) and any failure of the embedded SQLite store
/// (a local file) still fail the start.
/// </summary>
internal sealed partial class EngineInitializer(
    IEventQueue queue,
    StoreSet stores,
    EngineKinds kinds,
    ServiceOptions service,
    VhMetrics metrics,
    ServiceLifecycle lifecycle,
    IServiceProvider services,
    ILogger<EngineInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Resolve (and where needed generate) the credentials now, so a bad configuration fails the start
        // and the log says where generated credentials are before the first request.
        _ = services.GetRequiredService<Credentials>();

        // An api-only process never touches the queue: it must start and serve reads while NATS is down.
        if ((service.Roles & (ServiceRoles.Ingest | ServiceRoles.Processor)) != 0)
        {
            await queue.InitializeAsync(cancellationToken);

            // The embedded queue has no dead-letter queue before it is initialized: the gauge reads it from now on.
            metrics.ObserveDeadLetters(() => queue.DeadLetters.Count);
        }

        await InitializeStoreAsync(stores.Primary, "primary", cancellationToken);
        if (stores.Shadow is { } shadow)
        {
            await InitializeStoreAsync(shadow, "shadow", cancellationToken);
        }

        lifecycle.EnginesInitialized();
    }

    private async Task InitializeStoreAsync(IHistoryStore store, string which, CancellationToken cancellationToken)
    {
        try
        {
            await store.InitializeAsync(cancellationToken);
        }
        catch (StoreUnavailableException ex) when (kinds.Store == StoreKind.Postgres && !cancellationToken.IsCancellationRequested)
        {
            LogStoreDeferred(ex, which);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Which} store cannot be reached at start: starting without it; it is initialized when it answers, and until then the roles that need it report failing")]
    private partial void LogStoreDeferred(Exception exception, string which);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
