using ViewingHistory.Core.History;

namespace ViewingHistory.Store.Rights;

/// <summary>Receives a member's export from <see cref="IHistoryStore.ExportAsync"/>, one row at a time.</summary>
public interface IMemberExportSink
{
    /// <summary>First, before any row: the hide marks (the whole-history mark first, then by titleId) and the erasure, if any.</summary>
    ValueTask BeginAsync(IReadOnlyList<HideMark> hides, ErasureRecord? erasure, CancellationToken cancellationToken);

    /// <summary>Each item, newest first (the history's order).</summary>
    ValueTask ItemAsync(HistoryItem item, CancellationToken cancellationToken);

    /// <summary>Each session, by titleId then sessionId (ordinal), after the last item.</summary>
    ValueTask SessionAsync(ExportedSession session, CancellationToken cancellationToken);
}

/// <summary>
/// A session as the export shows it; <paramref name="Hidden"/> is true where it does not count (its lastAt is at or
/// before the title's effective hide mark). <paramref name="StartedAtMs"/> and <paramref name="Device"/> are null for
/// sessions stored before the store kept them.
/// </summary>
public sealed record ExportedSession(string TitleId, string SessionId, long? StartedAtMs, long LastAtMs, long PositionMs, long DurationMs, string? Device, bool Hidden)
{
    /// <summary>The session row with its hidden flag under the member's marks.</summary>
    public static ExportedSession From(string titleId, SessionState s, long? memberMark, IReadOnlyDictionary<string, long> titleMarks)
    {
        long? titleMark = titleMarks.TryGetValue(titleId, out var t) ? t : null;
        var mark = ItemComputer.EffectiveMark(memberMark, titleMark);
        return new ExportedSession(titleId, s.SessionId, s.StartedAtMs, s.LastAtMs, s.PositionMs, s.DurationMs, s.HeadDevice, mark is { } h && s.LastAtMs <= h);
    }
}
