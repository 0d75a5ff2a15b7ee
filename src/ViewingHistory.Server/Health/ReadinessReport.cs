namespace ViewingHistory.Server.Health;

/// <summary>
/// The answer of <c>/health/ready</c> (CONTRACT.md "Operations"): whether each role this process plays can do its work,
/// and what the engine checks behind them said (null where no role of the process needed that check).
/// </summary>
/// <param name="Roles">One entry per role in the order ingest, processor, api; true = ok.</param>
/// <param name="Serving">False while the process is starting or draining: then every role reports failing.</param>
/// <param name="QueueTakesAppends">The queue, or the spool in front of it, makes appends durable (ingest).</param>
/// <param name="QueueReachable">Consumers can fetch from and acknowledge to the queue (processor).</param>
/// <param name="StoreReachable">The primary store answers (processor, api, and ingest on the sync path).</param>
internal sealed record ReadinessReport(
    IReadOnlyList<KeyValuePair<string, bool>> Roles,
    bool Serving,
    bool? QueueTakesAppends,
    bool? QueueReachable,
    bool? StoreReachable)
{
    public const string Ready = "ready";
    public const string Degraded = "degraded";
    public const string Unready = "unready";

    /// <summary><c>ready</c> (every role ok), <c>degraded</c> (some failing, at least one ok) or <c>unready</c>.</summary>
    public string Status =>
        !Serving || Roles.All(r => !r.Value) ? Unready
        : Roles.All(r => r.Value) ? Ready
        : Degraded;

    /// <summary>200 for <c>ready</c> and <c>degraded</c>: the balancer keeps sending this process traffic for its roles.</summary>
    public bool IsReady => Status != Unready;

    /// <summary>The same report for one role alone (<c>?role=</c>); null when the process does not play it.</summary>
    public ReadinessReport? ForRole(string role) =>
        Roles.Where(r => r.Key == role).ToList() is [var only] ? this with { Roles = [only] } : null;
}
