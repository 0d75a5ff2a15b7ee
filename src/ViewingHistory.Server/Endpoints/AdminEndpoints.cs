using ViewingHistory.Pipeline;
using ViewingHistory.Pipeline.Processing;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Configuration;
using ViewingHistory.Server.Health;
using ViewingHistory.Server.Json;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// <c>GET /v1/admin/status</c> (service key): what the ops dashboard cannot read from <c>/metrics</c>, namely the
/// pipeline mode and rollout percentage in force, the roles, the health of each engine, the readiness of each role (as
/// <c>/health/ready</c> reports it), whether this process's queue consumers are paused, and whether the latest
/// configuration reload was refused (and why). <c>POST /v1/admin/consumption/pause</c> and <c>/resume</c> (service key) pause and resume
/// them (<see cref="ConsumptionControl"/>).
/// </summary>
internal static class AdminEndpoints
{
    public static RouteGroupBuilder MapAdmin(this RouteGroupBuilder v1)
    {
        v1.MapGet("/admin/status", ReadStatusAsync)
            .RequireAuthorization(Policies.Service)
            .WithName("AdminStatus")
            .WithSummary("Pipeline mode, rollout percentage, roles, the health of the queue and the store, the readiness of each role, and whether consumption is paused.");
        v1.MapPost("/admin/consumption/pause", (ConsumptionControl control) =>
            {
                control.Pause();
                return Consumption(control);
            })
            .RequireAuthorization(Policies.Service)
            .WithName("PauseConsumption")
            .WithSummary("Stops this process's processors and archive from fetching new deliveries; ingest goes on and the queue keeps what arrives. Idempotent.");
        v1.MapPost("/admin/consumption/resume", (ConsumptionControl control) =>
            {
                control.Resume();
                return Consumption(control);
            })
            .RequireAuthorization(Policies.Service)
            .WithName("ResumeConsumption")
            .WithSummary("Resumes consumption where it stopped. Idempotent.");
        return v1;
    }

    private static IResult Consumption(ConsumptionControl control) =>
        Results.Json(new ConsumptionDto(State(control)), ApiJsonContext.Default.ConsumptionDto);

    private static string State(ConsumptionControl control) => control.IsPaused ? "paused" : "running";

    private static async Task<IResult> ReadStatusAsync(
        OptionsInForce<PipelineOptions> pipeline,
        ConfigurationGuard configuration,
        EngineKinds engines,
        ReadinessProbe readiness,
        ConsumptionControl control)
    {
        // The same checks (and cache) as /health/ready, so the dashboard sees what a load balancer sees.
        var report = await readiness.CheckAsync();
        var options = pipeline.Current;
        return Results.Json(
            new AdminStatusDto(
                options.Mode.ToString().ToLowerInvariant(),
                options.AsyncPercent,
                readiness.Roles,
                new EngineStatusDto(EngineKinds.NameOf(engines.Queue), Both(report.QueueTakesAppends, report.QueueReachable)),
                new EngineStatusDto(EngineKinds.NameOf(engines.Store), report.StoreReachable),
                State(control),
                ReadinessDto.From(report),
                configuration.Status),
            ApiJsonContext.Default.AdminStatusDto);
    }

    /// <summary>Null where this process's roles do not use the engine (no check ran); otherwise every check that ran passed.</summary>
    private static bool? Both(bool? a, bool? b) => a is null && b is null ? null : a != false && b != false;
}
