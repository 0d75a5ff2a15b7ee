namespace ViewingHistory.Server.Json;

/// <summary>
/// The body of <c>/health/ready</c> (CONTRACT.md "Operations"): <c>status</c> is <c>ready</c>, <c>degraded</c> or
/// <c>unready</c>; <c>roles</c> maps each role the process plays (or the one asked for) to <c>ok</c> or <c>failing</c>.
/// </summary>
internal sealed record ReadinessDto(string Status, IReadOnlyDictionary<string, string> Roles)
{
    public static ReadinessDto From(Health.ReadinessReport report) =>
        new(report.Status, report.Roles.ToDictionary(r => r.Key, r => r.Value ? "ok" : "failing", StringComparer.Ordinal));
}
