using Microsoft.Extensions.Diagnostics.HealthChecks;
using ViewingHistory.Queue;

namespace ViewingHistory.Server.Health;

/// <summary>Ready while the queue can make appends durable.</summary>
public sealed class QueueHealthCheck(IEventQueue queue) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            return await queue.IsHealthyAsync(timeout.Token)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The queue cannot take appends.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || timeout.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The queue cannot be reached.");
        }
    }
}
