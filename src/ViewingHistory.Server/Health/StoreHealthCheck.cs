using Microsoft.Extensions.Diagnostics.HealthChecks;
using ViewingHistory.Pipeline;

namespace ViewingHistory.Server.Health;

/// <summary>Ready while the store answers a trivial query.</summary>
public sealed class StoreHealthCheck(StoreSet stores) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await stores.Primary.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || timeout.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The store cannot be reached.");
        }
    }
}
