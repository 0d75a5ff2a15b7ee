namespace ViewingHistory.Core.History;

/// <summary>One title in a member's history, as the contract shows it.</summary>
public sealed record HistoryItem(
    string TitleId,
    long LastWatchedAtMs,
    long PositionMs,
    long DurationMs,
    int Sessions)
{
    /// <summary>min(1, position / duration) in ten-thousandths, rounded half away from zero, in exact integer arithmetic.</summary>
    public int ProgressBasisPoints => Progress.BasisPoints(PositionMs, DurationMs);

    public double Progress4 => ProgressBasisPoints / 10000d;

    public bool Completed => ProgressBasisPoints >= 9000;
}
