using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace ViewingHistory.Server.OpenApi;

/// <summary>
/// One event of the ingest body (CONTRACT.md "Ingest"), for the API document only: the endpoint parses the body with
/// its own one-pass validator (<c>EventBatchParser</c>), which enforces these rules and the ones a schema cannot say
/// (positionMs at most durationMs + 60000, timestamp at most 5 minutes ahead of the server's clock).
/// </summary>
[Description("A playback event. Unknown fields are ignored; a JSON object with the same key twice is malformed.")]
internal sealed class PlaybackEventInput
{
    private const string Id = "^[A-Za-z0-9._:-]{1,64}$";

    [Description("The idempotency key of the event.")]
    [RegularExpression(Id)]
    public required string EventId { get; init; }

    [Description("The profile whose history this is.")]
    [RegularExpression(Id)]
    public required string MemberId { get; init; }

    [RegularExpression(Id)]
    public required string TitleId { get; init; }

    [Description("One playback of one title by one member.")]
    [RegularExpression(Id)]
    public required string SessionId { get; init; }

    [Description("The order in which the device emitted the events of the session.")]
    [Range(0, int.MaxValue)]
    public required int Seq { get; init; }

    [AllowedValues("start", "progress", "pause", "resume", "stop")]
    public required string Type { get; init; }

    [Description("The playhead: 0 to durationMs + 60000.")]
    [Range(0L, 86_460_000L)]
    public required long PositionMs { get; init; }

    [Description("The title's runtime.")]
    [Range(1L, 86_400_000L)]
    public required long DurationMs { get; init; }

    [Description("RFC 3339 with offset: when the device emitted the event; from 2000-01-01 to 5 minutes after the server's clock. Truncated to whole milliseconds.")]
    public required DateTimeOffset Timestamp { get; init; }

    [Description("At most 32 chars, no control characters; null means absent.")]
    [MaxLength(32)]
    public string? Device { get; init; }
}
