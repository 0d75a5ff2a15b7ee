namespace ViewingHistory.Core.Events;

/// <summary>
/// One accepted playback event. <see cref="TimestampMs"/> is the device timestamp truncated to whole
/// milliseconds since the Unix epoch (UTC): every comparison of the contract is on these milliseconds.
/// </summary>
public sealed record PlaybackEvent(
    string EventId,
    string MemberId,
    string TitleId,
    string SessionId,
    int Seq,
    PlaybackEventType Type,
    long PositionMs,
    long DurationMs,
    long TimestampMs,
    string? Device);
