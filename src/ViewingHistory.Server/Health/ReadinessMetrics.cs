using System.Diagnostics.Metrics;
using System.Globalization;
using ViewingHistory.Pipeline;
using ViewingHistory.Store.Sharding;
using ViewingHistory.Pipeline.Observability;

namespace ViewingHistory.Server.Health;

/// <summary>
/// <c>vh_role_ready{role}</c>: 1 while the role can do its work (as <c>/health/ready?role=</c> answers), 0 while it is
/// failing, starting or draining; one series per role the process plays, so dashboards and alerts see readiness per
/// role across every pod without probing them. A scrape must not wait for the engines, so the gauge shows the last
/// finished check and starts the next one (the checks are cached and bounded: <see cref="CachedProbe"/>); the value
/// is at most one scrape interval old, fresher wherever a balancer or the kubelet probes <c>/health/ready</c>.
/// With several store shards, <c>vh_store_shard_up{shard}</c> says the same per shard: a down shard fails only its
/// members, so the roles stay ok (DESIGN.md "Readiness is for the balancer") and this series is what shows it.
/// </summary>
internal sealed class ReadinessMetrics
{
    public const string GaugeName = "vh_role_ready";

    public const string ShardGaugeName = "vh_store_shard_up";

    public ReadinessMetrics(IMeterFactory meterFactory, ReadinessProbe probe, StoreSet stores)
    {
        ArgumentNullException.ThrowIfNull(stores);
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(VhMetrics.MeterName);
        meter.CreateObservableGauge(
            GaugeName,
            () =>
            {
                // The refresh never throws (every engine check turns a fault into "failing"); its result is read by the next scrape.
                _ = probe.CheckAsync();
                return probe.Last.Roles.Select(r => new Measurement<int>(r.Value ? 1 : 0, new KeyValuePair<string, object?>("role", r.Key)));
            },
            description: "1 while the role can do its work (as /health/ready?role= answers), 0 while failing, starting or draining.");
        if (stores.Primary is ShardedHistoryStore { ShardCount: > 1 } sharded)
        {
            meter.CreateObservableGauge(
                ShardGaugeName,
                () => sharded.ShardsUp
                    .Select((up, shard) => (up, shard))
                    .Where(s => s.up is not null)
                    .Select(s => new Measurement<int>(s.up == true ? 1 : 0, new KeyValuePair<string, object?>("shard", s.shard.ToString(CultureInfo.InvariantCulture)))),
                description: "1 while the store shard answered the last readiness check, 0 while it did not (its members' reads answer 503).");
        }
    }
}
