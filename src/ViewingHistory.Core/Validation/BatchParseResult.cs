using ViewingHistory.Core.Events;

namespace ViewingHistory.Core.Validation;

/// <summary>
/// The outcome of parsing an ingest body: either every event (valid), or why not. <see cref="BodyError"/>
/// is set for a fault of the body as a whole; <see cref="Errors"/> lists every broken rule of the events.
/// </summary>
public sealed class BatchParseResult
{
    private BatchParseResult(IReadOnlyList<PlaybackEvent> events, IReadOnlyList<FieldError> errors, string? bodyError)
    {
        Events = events;
        Errors = errors;
        BodyError = bodyError;
    }

    public IReadOnlyList<PlaybackEvent> Events { get; }

    public IReadOnlyList<FieldError> Errors { get; }

    public string? BodyError { get; }

    public bool IsValid => BodyError is null && Errors.Count == 0;

    public static BatchParseResult Valid(IReadOnlyList<PlaybackEvent> events) => new(events, [], null);

    public static BatchParseResult Invalid(IReadOnlyList<FieldError> errors) => new([], errors, null);

    public static BatchParseResult Malformed(string detail) => new([], [], detail);
}
