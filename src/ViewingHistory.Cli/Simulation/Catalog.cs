namespace ViewingHistory.Cli.Simulation;

/// <summary>Titles the simulated members watch: series episodes (22 to 60 minutes) and films (85 to 160 minutes).</summary>
internal static class Catalog
{
    private static readonly string[] Series =
        ["midnight-harbor", "glass-city", "northern-lights", "paper-moons", "the-quiet-field", "iron-river", "salt-and-stone", "night-shift-clinic"];

    private static readonly string[] Films =
        ["the-long-voyage", "a-house-by-the-sea", "last-train-west", "copper-sky", "the-cartographer", "silent-orbit", "winter-garden", "small-hours"];

    public static (string TitleId, long DurationMs) Pick(Random random)
    {
        if (random.NextDouble() < 0.7)
        {
            var show = Series[random.Next(Series.Length)];
            // A runtime fixed per show (string.GetHashCode differs between processes, so a stable one of our own).
            var minutes = 22 + (StableHash(show) % 39);
            return ($"{show}-s{random.Next(1, 4):00}e{random.Next(1, 11):00}", minutes * 60_000L);
        }

        var film = Films[random.Next(Films.Length)];
        return (film, (85 + (StableHash(film) % 76)) * 60_000L);
    }

    private static int StableHash(string s)
    {
        var h = 17;
        foreach (var c in s)
        {
            h = unchecked((h * 31) + c);
        }

        return h & int.MaxValue;
    }
}
