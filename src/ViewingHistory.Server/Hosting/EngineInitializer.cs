using ViewingHistory.Pipeline;
using ViewingHistory.Queue;

namespace ViewingHistory.Server.Hosting;

/// <summary>Creates or migrates the queue and the stores before anything else starts (idempotent, safe for concurrent starts).</summary>
public sealed class EngineInitializer(IEventQueue queue, StoreSet stores) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await queue.InitializeAsync(cancellationToken);
        await stores.Primary.InitializeAsync(cancellationToken);
        if (stores.Shadow is { } shadow)
        {
            await shadow.InitializeAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
