using ViewingHistory.Pipeline;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Queue;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Configuration;
using ViewingHistory.Server.Health;

namespace ViewingHistory.Server.Hosting;

/// <summary>Resolves the credentials, then creates or migrates the queue and the stores before anything else starts (idempotent, safe for concurrent starts).</summary>
internal sealed class EngineInitializer(IEventQueue queue, StoreSet stores, ServiceOptions service, VhMetrics metrics, ServiceLifecycle lifecycle, IServiceProvider services) : IHostedService
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

        await stores.Primary.InitializeAsync(cancellationToken);
        if (stores.Shadow is { } shadow)
        {
            await shadow.InitializeAsync(cancellationToken);
        }

        lifecycle.EnginesInitialized();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
