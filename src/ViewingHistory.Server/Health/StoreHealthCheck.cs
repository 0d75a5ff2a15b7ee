using Microsoft.Extensions.Diagnostics.HealthChecks;
using ViewingHistory.Pipeline;

namespace ViewingHistory.Server.Health;

/// <summary>Ready while the store answers a trivial query.</summary>
public sealed class StoreHealthCheck(StoreSet stores) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await Deadline.RunAsync(ct => stores.Primary.PingAsync(ct), TimeSpan.FromSeconds(2), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The store cannot be reached.");
        }
    }
}
