using ViewingHistory.Pipeline;
using ViewingHistory.Queue;
using ViewingHistory.Server.Configuration;

namespace ViewingHistory.Server.Health;

/// <summary>
/// Readiness per role (CONTRACT.md "Operations"; DESIGN.md "Readiness is for the balancer"): should traffic for this
/// process's roles come here? Ingest is ok while its mode's path works: in async mode a durable append to the queue
/// or its spool; wherever some members take the sync path (sync, shadow, or <c>AsyncPercent</c> below 100) also the
/// store. The processor needs to reach the queue and the store; the api needs the store. A paused consumer is still
/// ok: pausing is an operator's choice, not a fault. Only the checks a played role needs are run, each at most once a
/// second and never longer than about a second (<see cref="CachedProbe"/>).
/// </summary>
internal sealed class ReadinessProbe
{
    public const string Ingest = "ingest";
    public const string Processor = "processor";
    public const string Api = "api";

    private readonly ServiceRoles _roles;
    private readonly OptionsInForce<PipelineOptions> _pipeline;
    private readonly ServiceLifecycle _lifecycle;
    private readonly CachedProbe _appends;
    private readonly CachedProbe _consumers;
    private readonly CachedProbe _store;

    public ReadinessProbe(
        ServiceOptions service,
        IEventQueue queue,
        StoreSet stores,
        OptionsInForce<PipelineOptions> pipeline,
        ServiceLifecycle lifecycle,
        TimeProvider time)
    {
        _roles = service.Roles;
        _pipeline = pipeline;
        _lifecycle = lifecycle;
        _appends = new CachedProbe(ct => queue.IsHealthyAsync(ct).AsTask(), time);
        _consumers = new CachedProbe(ct => queue.IsReachableAsync(ct).AsTask(), time);
        _store = new CachedProbe(
            async ct =>
            {
                await stores.Primary.PingAsync(ct);
                return true;
            },
            time);
    }

    /// <summary>The role names this process plays, in the order the report lists them.</summary>
    public IReadOnlyList<string> Roles =>
    [
        .. _roles.HasFlag(ServiceRoles.Ingest) ? [Ingest] : Array.Empty<string>(),
        .. _roles.HasFlag(ServiceRoles.Processor) ? [Processor] : Array.Empty<string>(),
        .. _roles.HasFlag(ServiceRoles.Api) ? [Api] : Array.Empty<string>(),
    ];

    /// <summary>Checks every role this process plays; answers within about a second whatever the engines do.</summary>
    public async Task<ReadinessReport> CheckAsync()
    {
        if (_lifecycle.IsStarting || _lifecycle.IsDraining)
        {
            return new ReadinessReport([.. Roles.Select(r => KeyValuePair.Create(r, false))], Serving: false, null, null, null);
        }

        var ingest = _roles.HasFlag(ServiceRoles.Ingest);
        var processor = _roles.HasFlag(ServiceRoles.Processor);
        var api = _roles.HasFlag(ServiceRoles.Api);
        var ingestNeedsStore = ingest && IngestNeedsStore();
        var appends = ingest ? _appends.CheckAsync() : null;
        var consumers = processor ? _consumers.CheckAsync() : null;
        var store = processor || api || ingestNeedsStore ? _store.CheckAsync() : null;
        bool? appendsOk = appends is null ? null : await appends;
        bool? consumersOk = consumers is null ? null : await consumers;
        bool? storeOk = store is null ? null : await store;

        var roles = new List<KeyValuePair<string, bool>>(3);
        if (ingest)
        {
            roles.Add(KeyValuePair.Create(Ingest, appendsOk == true && (!ingestNeedsStore || storeOk == true)));
        }

        if (processor)
        {
            roles.Add(KeyValuePair.Create(Processor, consumersOk == true && storeOk == true));
        }

        if (api)
        {
            roles.Add(KeyValuePair.Create(Api, storeOk == true));
        }

        return new ReadinessReport(roles, Serving: true, appendsOk, consumersOk, storeOk);
    }

    /// <summary>
    /// The only read of the pipeline options here (kept in one place on purpose): with any member on the sync path a
    /// request's 202 waits for the store, so ingest cannot do its work without it. A balancer cannot route by member,
    /// so a partial rollout counts as the sync path for the process as a whole.
    /// </summary>
    private bool IngestNeedsStore() =>
        _pipeline.Current is var p && (p.Mode is PipelineMode.Sync or PipelineMode.Shadow || p.AsyncPercent < 100);
}
