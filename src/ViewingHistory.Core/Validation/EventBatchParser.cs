using System.Text.Json;
using System.Text.Unicode;
using ViewingHistory.Core.Events;

namespace ViewingHistory.Core.Validation;

/// <summary>
/// Parses and validates an ingest body in one forward pass over the UTF-8 bytes. Stricter than
/// <see cref="JsonDocument"/> where the contract says so: invalid UTF-8 and an object with the same key
/// twice (at any depth) are malformed; integers carry no fraction or exponent.
/// </summary>
public static partial class EventBatchParser
{
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        MaxDepth = 64,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <param name="utf8">The whole request body.</param>
    /// <param name="nowMs">The server's clock, Unix milliseconds: timestamps may be at most five minutes after it.</param>
    public static BatchParseResult Parse(ReadOnlySpan<byte> utf8, long nowMs)
    {
        // CONTRACT.md: a leading byte order mark is ignored. Only the leading one: anywhere else U+FEFF is an
        // ordinary character, inside a string, or not JSON at all, between tokens.
        if (utf8.StartsWith(Utf8Bom))
        {
            utf8 = utf8[Utf8Bom.Length..];
        }

        if (utf8.IsEmpty)
        {
            return BatchParseResult.Malformed("The body is empty: send a JSON array of 1 to 500 events.");
        }

        if (!Utf8.IsValid(utf8))
        {
            return BatchParseResult.Malformed("The body is not valid UTF-8.");
        }

        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                SkipChecked(ref reader);
                reader.Read();
                return BatchParseResult.Malformed("The body must be a JSON array of events.");
            }

            var events = new List<PlaybackEvent>();
            var errors = new List<FieldError>();
            var text = new char[TextBufferLength]; // the events' types and timestamps, one at a time
            var index = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (index == EventRules.MaxEventsPerBatch)
                {
                    return BatchParseResult.Malformed($"The batch holds more than {EventRules.MaxEventsPerBatch} events.");
                }

                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    var e = ParseEvent(ref reader, index, nowMs, errors, text);
                    if (e is not null)
                    {
                        events.Add(e);
                    }
                }
                else
                {
                    errors.Add(new FieldError(index, "", "Each event must be a JSON object."));
                    SkipChecked(ref reader);
                }

                index++;
            }

            // Anything after the closing bracket makes the reader throw.
            while (reader.Read())
            {
            }

            if (index == 0)
            {
                return BatchParseResult.Malformed("The batch is empty: send 1 to 500 events.");
            }

            return errors.Count == 0 ? BatchParseResult.Valid(events) : BatchParseResult.Invalid(errors);
        }
        catch (JsonException ex)
        {
            return BatchParseResult.Malformed(ex is DuplicateKeyException
                ? ex.Message
                : $"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).");
        }
        catch (InvalidOperationException)
        {
            // Escaped lone surrogates and other text that cannot become a .NET string.
            return BatchParseResult.Malformed("The body holds a string that is not valid Unicode.");
        }
    }

    /// <summary>Skips the current value, refusing any object in it that repeats a key.</summary>
    private static void SkipChecked(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                HashSet<string>? names = null;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var name = reader.GetString()!;
                    names ??= new HashSet<string>(StringComparer.Ordinal);
                    if (!names.Add(name))
                    {
                        throw new DuplicateKeyException(name);
                    }

                    reader.Read();
                    SkipChecked(ref reader);
                }

                break;
            case JsonTokenType.StartArray:
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    SkipChecked(ref reader);
                }

                break;
            case JsonTokenType.String:
                // Materialize to reject escapes that are not valid Unicode.
                _ = reader.GetString();
                break;
            default:
                break;
        }
    }

    private sealed class DuplicateKeyException(string name)
        : JsonException($"The body is malformed: an object has the key \"{name}\" twice.");
}
