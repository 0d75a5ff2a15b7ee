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
}
