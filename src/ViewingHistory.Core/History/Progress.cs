namespace ViewingHistory.Core.History;

public static class Progress
{
    /// <summary>
    /// round(min(1, position / duration), 4) × 10000, half away from zero, computed exactly on integers
    /// (position ≤ 86,460,000 so position × 20,000 stays far inside a long).
    /// </summary>
    public static int BasisPoints(long positionMs, long durationMs)
    {
        if (durationMs <= 0 || positionMs >= durationMs)
        {
            return 10000;
        }

        // floor(p / d × 10^4 + 1/2) = floor((2 × 10^4 × p + d) / (2d)); p ≥ 0, so half-up is half away from zero.
        return (int)(((20000 * positionMs) + durationMs) / (2 * durationMs));
    }
}
