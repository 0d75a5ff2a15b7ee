using System.Globalization;

namespace ViewingHistory.Cli.Simulation;

/// <summary>Durations as people type them: <c>500ms</c>, <c>10s</c>, <c>2m</c>, <c>1h</c>, or a TimeSpan (<c>00:01:30</c>).</summary>
internal static class DurationText
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        text = text.Trim();
        (string Suffix, double Ms)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, ms) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) &&
                double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
            {
                value = TimeSpan.FromMilliseconds(n * ms);
                return true;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }
}
