using System.Buffers;
using System.Text.Json;
using ViewingHistory.Core.Events;

namespace ViewingHistory.Core.Validation;

public static partial class EventBatchParser
{
    [Flags]
    private enum Seen
    {
        None = 0,
        EventId = 1 << 0,
        MemberId = 1 << 1,
        TitleId = 1 << 2,
        SessionId = 1 << 3,
        Seq = 1 << 4,
        Type = 1 << 5,
        PositionMs = 1 << 6,
        DurationMs = 1 << 7,
        Timestamp = 1 << 8,
        Device = 1 << 9,
    }

    /// <summary>Room for any valid type or timestamp (RFC 3339 with nanoseconds and an offset is 35 characters).</summary>
    private const int TextBufferLength = 64;

    private const string IdRule = "must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'.";

    /// <summary>Reads one event object (the reader is on its StartObject) and records every broken rule.</summary>
    private static PlaybackEvent? ParseEvent(ref Utf8JsonReader reader, int index, long nowMs, List<FieldError> errors, char[] buffer)
    {
        var errorsBefore = errors.Count;
        var seen = Seen.None;
        HashSet<string>? unknown = null;
        string? eventId = null, memberId = null, titleId = null, sessionId = null, device = null;
        long seq = -1, position = -1, duration = -1, timestamp = 0;
        PlaybackEventType type = default;
        bool positionOk = false, durationOk = false;

        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var field = Identify(ref reader);
            if (field == Seen.None)
            {
                var name = reader.GetString()!;
                unknown ??= new HashSet<string>(StringComparer.Ordinal);
                if (!unknown.Add(name) || IsKnownName(name))
                {
                    throw new DuplicateKeyException(name);
                }

                reader.Read();
                SkipChecked(ref reader);
                continue;
            }

            if ((seen & field) != 0)
            {
                throw new DuplicateKeyException(reader.GetString()!);
            }

            seen |= field;
            reader.Read();
            switch (field)
            {
                case Seen.EventId:
                    eventId = ReadId(ref reader, index, "eventId", errors);
                    break;
                case Seen.MemberId:
                    memberId = ReadId(ref reader, index, "memberId", errors);
                    break;
                case Seen.TitleId:
                    titleId = ReadId(ref reader, index, "titleId", errors);
                    break;
                case Seen.SessionId:
                    sessionId = ReadId(ref reader, index, "sessionId", errors);
                    break;
                case Seen.Seq:
                    if (ReadInteger(ref reader, index, "seq", errors, out seq) && seq is < 0 or > int.MaxValue)
                    {
                        errors.Add(new FieldError(index, "seq", "must be between 0 and 2147483647."));
                    }

                    break;
                case Seen.Type:
                    if (TryReadText(ref reader, index, "type", errors, buffer, out var typeText) && !PlaybackEventTypes.TryParse(typeText, out type))
                    {
                        errors.Add(new FieldError(index, "type", "must be one of start, progress, pause, resume, stop."));
                    }

                    break;
                case Seen.PositionMs:
                    positionOk = ReadInteger(ref reader, index, "positionMs", errors, out position);
                    break;
                case Seen.DurationMs:
                    durationOk = ReadInteger(ref reader, index, "durationMs", errors, out duration);
                    if (durationOk && duration is < 1 or > EventRules.MaxDurationMs)
                    {
                        errors.Add(new FieldError(index, "durationMs", "must be between 1 and 86400000."));
                        durationOk = false;
                    }

                    break;
                case Seen.Timestamp:
                    if (!TryReadText(ref reader, index, "timestamp", errors, buffer, out var text))
                    {
                        break;
                    }

                    if (!Timestamps.TryParse(text, out timestamp))
                    {
                        errors.Add(new FieldError(index, "timestamp", "must be an RFC 3339 date-time with an offset, e.g. 2026-11-27T17:00:00.123Z."));
                    }
                    else if (timestamp < EventRules.MinTimestampMs || timestamp > nowMs + EventRules.MaxFutureSkewMs)
                    {
                        errors.Add(new FieldError(index, "timestamp", "must be from 2000-01-01 to 5 minutes after the server's clock."));
                    }

                    break;
                case Seen.Device:
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        break;
                    }

                    device = ReadString(ref reader, index, "device", errors);
                    if (device is not null && (device.Length > EventRules.MaxDeviceLength || EventRules.HasControlCharacter(device)))
                    {
                        errors.Add(new FieldError(index, "device", "must be at most 32 characters, without control characters."));
                        device = null;
                    }

                    break;
            }
        }

        if (positionOk)
        {
            var max = (durationOk ? duration : EventRules.MaxDurationMs) + EventRules.PositionSlackMs;
            if (position < 0 || position > max)
            {
                errors.Add(new FieldError(index, "positionMs", durationOk
                    ? $"must be between 0 and durationMs + 60000 ({max})."
                    : "must be between 0 and durationMs + 60000."));
            }
        }

        ReportMissing(seen, index, errors);
        if (errors.Count != errorsBefore)
        {
            return null;
        }

        return new PlaybackEvent(eventId!, memberId!, titleId!, sessionId!, (int)seq, type, position, duration, timestamp, device);
    }

    private static Seen Identify(ref Utf8JsonReader reader)
    {
        // ValueTextEquals unescapes, so "\u0065ventId" is eventId too (and so a duplicate of it).
        if (reader.ValueTextEquals("eventId"u8)) return Seen.EventId;
        if (reader.ValueTextEquals("memberId"u8)) return Seen.MemberId;
        if (reader.ValueTextEquals("titleId"u8)) return Seen.TitleId;
        if (reader.ValueTextEquals("sessionId"u8)) return Seen.SessionId;
        if (reader.ValueTextEquals("seq"u8)) return Seen.Seq;
        if (reader.ValueTextEquals("type"u8)) return Seen.Type;
        if (reader.ValueTextEquals("positionMs"u8)) return Seen.PositionMs;
        if (reader.ValueTextEquals("durationMs"u8)) return Seen.DurationMs;
        if (reader.ValueTextEquals("timestamp"u8)) return Seen.Timestamp;
        if (reader.ValueTextEquals("device"u8)) return Seen.Device;
        return Seen.None;
    }

    private static bool IsKnownName(string name) => name is "eventId" or "memberId" or "titleId" or "sessionId" or "seq"
        or "type" or "positionMs" or "durationMs" or "timestamp" or "device";

    private static void ReportMissing(Seen seen, int index, List<FieldError> errors)
    {
        Span<(Seen Flag, string Name)> required =
        [
            (Seen.EventId, "eventId"), (Seen.MemberId, "memberId"), (Seen.TitleId, "titleId"), (Seen.SessionId, "sessionId"),
            (Seen.Seq, "seq"), (Seen.Type, "type"), (Seen.PositionMs, "positionMs"), (Seen.DurationMs, "durationMs"),
            (Seen.Timestamp, "timestamp"),
        ];
        foreach (var (flag, name) in required)
        {
            if ((seen & flag) == 0)
            {
                errors.Add(new FieldError(index, name, "is required."));
            }
        }
    }

    private static string? ReadString(ref Utf8JsonReader reader, int index, string field, List<FieldError> errors)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        errors.Add(new FieldError(index, field, reader.TokenType == JsonTokenType.Null ? "is required." : "must be a string."));
        SkipChecked(ref reader);
        return null;
    }

    /// <summary>
    /// A string value that is only parsed (type, timestamp), unescaped into <paramref name="buffer"/> instead of a new
    /// string when it fits (every valid one does); false, with the error recorded as by <see cref="ReadString"/>,
    /// when the value is not a string. Escapes that are not valid Unicode throw as they do for a string.
    /// </summary>
    private static bool TryReadText(ref Utf8JsonReader reader, int index, string field, List<FieldError> errors, char[] buffer, out ReadOnlySpan<char> text)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            _ = ReadString(ref reader, index, field, errors);
            text = default;
            return false;
        }

        // Unescaped, a value has at most as many UTF-16 units as its raw bytes.
        var raw = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        text = raw <= buffer.Length ? buffer.AsSpan(0, reader.CopyString(buffer)) : reader.GetString();
        return true;
    }

    private static string? ReadId(ref Utf8JsonReader reader, int index, string field, List<FieldError> errors)
    {
        var value = ReadString(ref reader, index, field, errors);
        if (value is not null && !EventRules.IsValidId(value))
        {
            errors.Add(new FieldError(index, field, IdRule));
            return null;
        }

        return value;
    }

    private static bool ReadInteger(ref Utf8JsonReader reader, int index, string field, List<FieldError> errors, out long value)
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.Number)
        {
            errors.Add(new FieldError(index, field, reader.TokenType == JsonTokenType.Null ? "is required." : "must be an integer."));
            SkipChecked(ref reader);
            return false;
        }

        var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        if (raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0)
        {
            errors.Add(new FieldError(index, field, "must be an integer, without fraction or exponent."));
            return false;
        }

        if (!reader.TryGetInt64(out value))
        {
            errors.Add(new FieldError(index, field, "is out of range."));
            return false;
        }

        return true;
    }
}
