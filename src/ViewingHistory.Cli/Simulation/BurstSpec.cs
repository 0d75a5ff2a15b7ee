using System.Globalization;
using System.Text.RegularExpressions;

namespace ViewingHistory.Cli.Simulation;

/// <summary><c>--burst 5x/15s</c>: every 15 s the rate is multiplied by 5 for a fifth of the period (at least 1 s).</summary>
internal sealed partial record BurstSpec(double Multiplier, TimeSpan Every, TimeSpan Length)
{
    public static bool TryParse(string text, out BurstSpec? burst)
    {
        burst = null;
        var match = Pattern().Match(text.Trim());
        if (!match.Success ||
            !double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var multiplier) || multiplier < 1 ||
            !DurationText.TryParse(match.Groups[2].Value, out var every) || every <= TimeSpan.Zero)
        {
            return false;
        }

        burst = new BurstSpec(multiplier, every, TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, every.Ticks / 5)));
        return true;
    }

    /// <summary>The rate multiplier at <paramref name="elapsed"/> into the run: bursts start at the end of each period.</summary>
    public double MultiplierAt(TimeSpan elapsed)
    {
        var intoPeriod = elapsed.Ticks % Every.Ticks;
        return intoPeriod >= Every.Ticks - Length.Ticks ? Multiplier : 1;
    }

    public override string ToString() => $"{Multiplier.ToString(CultureInfo.InvariantCulture)}x/{Every.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)x/(.+)$")]
    private static partial Regex Pattern();
}
