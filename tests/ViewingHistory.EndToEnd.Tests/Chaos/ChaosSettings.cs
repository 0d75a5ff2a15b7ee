using System.Globalization;

namespace ViewingHistory.EndToEnd.Tests.Chaos;

/// <summary>
/// What a chaos run is parameterized by, from the environment so that a failed run can be replayed exactly:
/// <c>VH_CHAOS_SEED</c> (the seed; random when unset), <c>VH_CHAOS_SECONDS</c> (how long faults are injected; a
/// longer soak locally, the short default in CI) and <c>VH_CHAOS_FAULTS</c> (a comma-separated subset of the fault
/// kinds, to focus a replay on one of them).
/// </summary>
public sealed record ChaosSettings(int Seed, TimeSpan Duration, IReadOnlySet<string>? Faults)
{
    public static ChaosSettings FromEnvironment(TimeSpan defaultDuration)
    {
        var seedText = Environment.GetEnvironmentVariable("VH_CHAOS_SEED");
        var seed = string.IsNullOrWhiteSpace(seedText) ? Random.Shared.Next(1, int.MaxValue) : int.Parse(seedText, CultureInfo.InvariantCulture);
        var secondsText = Environment.GetEnvironmentVariable("VH_CHAOS_SECONDS");
        var duration = string.IsNullOrWhiteSpace(secondsText) ? defaultDuration : TimeSpan.FromSeconds(double.Parse(secondsText, CultureInfo.InvariantCulture));
        var faultsText = Environment.GetEnvironmentVariable("VH_CHAOS_FAULTS");
        IReadOnlySet<string>? faults = string.IsNullOrWhiteSpace(faultsText)
            ? null
            : faultsText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        return new ChaosSettings(seed, duration, faults);
    }

    /// <summary>The kinds a run may pick from: all of them unless <c>VH_CHAOS_FAULTS</c> names some.</summary>
    public IReadOnlyList<string> Allowed(IReadOnlyList<string> all)
    {
        if (Faults is null)
        {
            return all;
        }

        var unknown = Faults.Where(f => !all.Contains(f)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"VH_CHAOS_FAULTS names unknown fault kinds {string.Join(", ", unknown)}; known: {string.Join(", ", all)}");
        }

        return [.. all.Where(Faults.Contains)];
    }

    public string Describe(string testName) =>
        $"seed {Seed.ToString(CultureInfo.InvariantCulture)}, faults for {Duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s" +
        (Faults is null ? "" : $" of {string.Join(",", Faults)}") +
        $"; replay: VH_CHAOS_SEED={Seed.ToString(CultureInfo.InvariantCulture)} dotnet test tests/ViewingHistory.EndToEnd.Tests -c Release --filter FullyQualifiedName~{testName}";
}
