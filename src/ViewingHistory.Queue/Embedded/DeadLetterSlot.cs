namespace ViewingHistory.Queue.Embedded;

/// <summary>
/// What the dead-letter queue keeps in memory of one held letter: everything but the payload, and where its record
/// lies in the file (the payload is read from there when the letter is listed or replayed).
/// </summary>
/// <param name="RecordOffset">Where the record (header included) starts in the file.</param>
/// <param name="RecordLength">The record's length, header included: what a rewrite copies.</param>
/// <param name="PayloadStart">Where the payload starts, counted from the record's start.</param>
internal readonly record struct DeadLetterSlot(
    string Reason,
    long FailedAtMs,
    int EventCount,
    long RecordOffset,
    int RecordLength,
    int PayloadStart,
    int PayloadLength);
