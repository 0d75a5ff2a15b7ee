using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ViewingHistory.Server.Json;

namespace ViewingHistory.Server.Endpoints;

/// <summary><c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c>: no authentication (CONTRACT.md "Operations").</summary>
public static class OperationsEndpoints
{
    public const string ReadyTag = "ready";

    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new HealthDto(
            report.Status == HealthStatus.Healthy ? "ready" : "unavailable",
            report.Entries.ToDictionary(e => e.Key, e => e.Value.Status == HealthStatus.Healthy ? "ok" : e.Value.Description ?? "failing"));
        return JsonSerializer.SerializeAsync(context.Response.Body, body, ApiJsonContext.Default.HealthDto, context.RequestAborted);
    }
}
