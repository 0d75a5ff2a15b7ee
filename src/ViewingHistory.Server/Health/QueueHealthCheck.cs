using Microsoft.Extensions.Diagnostics.HealthChecks;
using ViewingHistory.Pipeline;
using ViewingHistory.Queue;

namespace ViewingHistory.Server.Health;

/// <summary>Ready while the queue can make appends durable.</summary>
public sealed class QueueHealthCheck(IEventQueue queue) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Deadline.RunAsync(ct => queue.IsHealthyAsync(ct).AsTask(), TimeSpan.FromSeconds(2), cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The queue cannot take appends.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The queue cannot be reached.");
        }
    }
}
