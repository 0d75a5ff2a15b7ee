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

    /// <summary>
    /// In progress for continue-watching: the rounded progress is at least 0.01 and below 0.9 (so not completed).
    /// With <see cref="BasisPoints"/> = floor((20000p + d) / 2d), "≥ 100" is 20000p ≥ 199d and "&lt; 9000" is
    /// 20000p &lt; 17999d: <see cref="InProgressSql"/> says the same in integers, for the stores' partial indexes.
    /// </summary>
    public static bool IsInProgress(long positionMs, long durationMs) => BasisPoints(positionMs, durationMs) is >= 100 and < 9000;

    /// <summary>
    /// <see cref="IsInProgress"/> over the <c>position_ms</c> and <c>duration_ms</c> columns, exact on integers (both
    /// engines multiply bigints; 20000 × 86,460,000 is far inside them). Constants, not parameters, and spelled the same
    /// in the index and the query: both engines use a partial index only when the query repeats its predicate.
    /// </summary>
    public const string InProgressSql = "20000 * position_ms >= 199 * duration_ms AND 20000 * position_ms < 17999 * duration_ms";
}
