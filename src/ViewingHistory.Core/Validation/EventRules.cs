namespace ViewingHistory.Core.Validation;

/// <summary>The limits of CONTRACT.md, in one place.</summary>
public static class EventRules
{
    public const int MaxEventsPerBatch = 500;
    public const int MaxBodyBytes = 1024 * 1024;
    public const int MaxIdLength = 64;
    public const int MaxDeviceLength = 32;
    public const long MaxDurationMs = 86_400_000;
    public const long PositionSlackMs = 60_000;
    public const long MaxFutureSkewMs = 5 * 60 * 1000;

    /// <summary>2000-01-01T00:00:00Z.</summary>
    public const long MinTimestampMs = 946_684_800_000;

    /// <summary>1–64 chars of <c>[A-Za-z0-9._:-]</c>: the alphabet of every id, also in URLs.</summary>
    public static bool IsValidId(ReadOnlySpan<char> id)
    {
        if (id.Length is 0 or > MaxIdLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether <paramref name="text"/> holds a character of Unicode category Cc (U+0000–U+001F and
    /// U+007F–U+009F), which CONTRACT.md forbids in <c>device</c>. The C1 range counts too: a C1 control
    /// reaching a log or a terminal can act as an escape sequence (U+009B is CSI).
    /// </summary>
    public static bool HasControlCharacter(ReadOnlySpan<char> text) =>
        text.ContainsAnyInRange('\0', '\u001f') || text.ContainsAnyInRange('\u007f', '\u009f');
}
