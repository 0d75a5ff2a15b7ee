using ViewingHistory.Server.Health;
using ViewingHistory.Server.Json;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c>: no authentication, served by every role (CONTRACT.md
/// "Operations"). <c>/health/ready?role=R</c> answers for role R alone: 200 or 503 as for the whole process, 404
/// (problem+json) when the process does not play R, 400 for anything but one of <c>ingest</c>, <c>processor</c>,
/// <c>api</c>.
/// </summary>
internal static class OperationsEndpoints
{
    private static readonly string[] KnownRoles = [ReadinessProbe.Ingest, ReadinessProbe.Processor, ReadinessProbe.Api];

    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", (HttpContext context) =>
            {
                NoStore(context);
                return Results.Text("""{"status":"live"}""", "application/json");
            })
            .WithName("Live")
            .WithSummary("200 while the process runs.");
        app.MapGet("/health/ready", ReadyAsync)
            .WithName("Ready")
            .WithSummary("200 while at least one of this process's roles can do its work (ready or degraded), 503 when none can.");
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    private static async Task<IResult> ReadyAsync(HttpContext context, ReadinessProbe probe)
    {
        NoStore(context);
        var asked = context.Request.Query["role"];
        if (asked.Count > 1 || (asked.Count == 1 && !KnownRoles.Contains(asked[0], StringComparer.Ordinal)))
        {
            return Problems.Validation(
                "role must be one of ingest, processor, api, given once.",
                [new Core.Validation.FieldError(0, "role", "Use ingest, processor or api.")]);
        }

        var report = await probe.CheckAsync();
        if (asked.Count == 1)
        {
            if (report.ForRole(asked[0]!) is not { } one)
            {
                return Problems.Status(StatusCodes.Status404NotFound, "Role not played", $"This process does not play the role '{asked[0]}'; it plays {string.Join(", ", probe.Roles)}.");
            }

            report = one;
        }

        return Results.Json(
            ReadinessDto.From(report),
            ApiJsonContext.Default.ReadinessDto,
            statusCode: report.IsReady ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>A balancer must see the state now, never a cached answer of a proxy in between.</summary>
    private static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";
}
