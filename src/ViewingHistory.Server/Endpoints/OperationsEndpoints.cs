using ViewingHistory.Server.Health;
using ViewingHistory.Server.Json;
using ViewingHistory.Server.OpenApi;

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
                return Results.Json(new LiveDto("live"), ApiJsonContext.Default.LiveDto);
            })
            .WithName("Live")
            .WithSummary("200 while the process runs.")
            .Answers<LiveDto>(StatusCodes.Status200OK);
        app.MapGet("/health/ready", ReadyAsync)
            .WithName("Ready")
            .WithSummary("200 while at least one of this process's roles can do its work (ready or degraded), 503 when none can.")
            .Answers<ReadinessDto>(StatusCodes.Status200OK, 400, 404)
            .AlsoAnswers<ReadinessDto>(StatusCodes.Status503ServiceUnavailable)
            .WithQuery("role", "string", "ingest, processor or api: answer for that role alone (404 when the process does not play it).");
        app.MapPrometheusScrapingEndpoint("/metrics")
            .WithName("Metrics")
            .WithSummary("The service's metrics in the Prometheus text format.")
            .AnswersText(StatusCodes.Status200OK, "text/plain");
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
