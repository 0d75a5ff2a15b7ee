using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;
using ViewingHistory.Core.Events;

namespace ViewingHistory.Pipeline.Archive;

/// <summary>
/// One row of the archive: a raw accepted event as the device sent it (after validation), with the server time it
/// was accepted. The column names and types are the archive's documented schema (README, "Analytics archive"):
/// change them only with a new schema version.
/// </summary>
public sealed class ArchiveRow
{
    [JsonPropertyName("eventId")]
    [ParquetRequired]
    public string EventId { get; set; } = "";

    [JsonPropertyName("memberId")]
    [ParquetRequired]
    public string MemberId { get; set; } = "";

    [JsonPropertyName("titleId")]
    [ParquetRequired]
    public string TitleId { get; set; } = "";

    [JsonPropertyName("sessionId")]
    [ParquetRequired]
    public string SessionId { get; set; } = "";

    [JsonPropertyName("seq")]
    public int Seq { get; set; }

    [JsonPropertyName("type")]
    [ParquetRequired]
    public string Type { get; set; } = "";

    [JsonPropertyName("positionMs")]
    public long PositionMs { get; set; }

    [JsonPropertyName("durationMs")]
    public long DurationMs { get; set; }

    /// <summary>The device's timestamp, truncated to milliseconds, UTC.</summary>
    [JsonPropertyName("timestamp")]
    [ParquetTimestamp(ParquetTimestampResolution.Milliseconds, useLogicalTimestamp: true, isAdjustedToUTC: true)]
    public DateTime Timestamp { get; set; }

    [JsonPropertyName("device")]
    public string? Device { get; set; }

    /// <summary>When the ingest request that carried the event was accepted (server clock), UTC.</summary>
    [JsonPropertyName("acceptedAt")]
    [ParquetTimestamp(ParquetTimestampResolution.Milliseconds, useLogicalTimestamp: true, isAdjustedToUTC: true)]
    public DateTime AcceptedAt { get; set; }

    public static ArchiveRow From(PlaybackEvent e, long acceptedAtMs) => new()
    {
        EventId = e.EventId,
        MemberId = e.MemberId,
        TitleId = e.TitleId,
        SessionId = e.SessionId,
        Seq = e.Seq,
        Type = PlaybackEventTypes.ToWire(e.Type),
        PositionMs = e.PositionMs,
        DurationMs = e.DurationMs,
        Timestamp = DateTime.UnixEpoch.AddMilliseconds(e.TimestampMs),
        Device = e.Device,
        AcceptedAt = DateTime.UnixEpoch.AddMilliseconds(acceptedAtMs),
    };
}
