namespace ViewingHistory.Store.Rights;

/// <summary>
/// An apply was refused because a session in it includes events that an erasure mark covers (its earliest timestamp is
/// at or before the member's E): the caller reduced the events against marks older than the store's. Nothing was
/// written. The caller reduces the same events again against <see cref="ErasedThrough"/> and applies that (the marks
/// only ever rise, so this ends). Not a failure of the data, and never a reason to dead-letter anything.
/// </summary>
public sealed class StaleErasureMarksException : Exception
{
    public StaleErasureMarksException()
        : this(new Dictionary<string, long>())
    {
    }

    public StaleErasureMarksException(string message)
        : base(message) => ErasedThrough = new Dictionary<string, long>();

    public StaleErasureMarksException(string message, Exception innerException)
        : base(message, innerException) => ErasedThrough = new Dictionary<string, long>();

    public StaleErasureMarksException(IReadOnlyDictionary<string, long> erasedThrough)
        : base($"The batch holds events covered by the erasure marks of {erasedThrough.Count} member(s); reduce it again against them.") =>
        ErasedThrough = erasedThrough;

    /// <summary>E of every member of the batch that has a mark, as the store holds them now.</summary>
    public IReadOnlyDictionary<string, long> ErasedThrough { get; }

    /// <summary>Throws when any session of <paramref name="sessions"/> has covered events under <paramref name="marks"/>.</summary>
    public static void ThrowIfCovered(IReadOnlyDictionary<Core.History.SessionKey, Core.History.SessionState> sessions, IReadOnlyDictionary<string, long> marks)
    {
        if (marks.Count == 0)
        {
            return;
        }

        foreach (var (key, state) in sessions)
        {
            // A null start means a state built without its events' timestamps: it cannot be shown to be uncovered.
            if (marks.TryGetValue(key.MemberId, out var through) && (state.StartedAtMs is not { } start || start <= through))
            {
                throw new StaleErasureMarksException(marks);
            }
        }
    }
}
