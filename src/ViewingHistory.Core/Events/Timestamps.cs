using System.Globalization;

namespace ViewingHistory.Core.Events;

/// <summary>RFC 3339 parsing (any offset, any precision, truncated to milliseconds) and the contract's output form.</summary>
public static class Timestamps
{
    /// <summary>Formats Unix milliseconds as <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>.</summary>
    public static string Format(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses an RFC 3339 date-time that carries an offset (<c>Z</c> or <c>±hh:mm</c>). Fractional
    /// seconds of any length are truncated to whole milliseconds (toward the past, also for offsets).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> s, out long unixMs)
    {
        unixMs = 0;
        // yyyy-MM-ddTHH:mm:ss
        if (s.Length < 20)
        {
            return false;
        }

        if (!Digits(s, 0, 4, out var year) || s[4] != '-' || !Digits(s, 5, 2, out var month) || s[7] != '-' ||
            !Digits(s, 8, 2, out var day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
            !Digits(s, 11, 2, out var hour) || s[13] != ':' || !Digits(s, 14, 2, out var minute) || s[16] != ':' ||
            !Digits(s, 17, 2, out var second))
        {
            return false;
        }

        var i = 19;
        var millis = 0;
        if (s[i] == '.')
        {
            i++;
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                if (i - start < 3)
                {
                    millis = (millis * 10) + (s[i] - '0');
                }

                i++;
            }

            var fractionDigits = i - start;
            if (fractionDigits == 0)
            {
                return false;
            }

            for (var k = fractionDigits; k < 3; k++)
            {
                millis *= 10;
            }
        }

        if (i >= s.Length)
        {
            return false;
        }

        int offsetMinutes;
        if (s[i] is 'Z' or 'z')
        {
            offsetMinutes = 0;
            i++;
        }
        else if (s[i] is '+' or '-')
        {
            if (s.Length - i != 6 || !Digits(s, i + 1, 2, out var oh) || s[i + 3] != ':' || !Digits(s, i + 4, 2, out var om) || oh > 23 || om > 59)
            {
                return false;
            }

            offsetMinutes = ((oh * 60) + om) * (s[i] == '-' ? -1 : 1);
            i += 6;
        }
        else
        {
            return false;
        }

        if (i != s.Length || year < 1 || month is < 1 or > 12 || hour > 23 || minute > 59 || second > 59 ||
            day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
        var ticks = local.Ticks - (offsetMinutes * TimeSpan.TicksPerMinute) - DateTime.UnixEpoch.Ticks;
        unixMs = (ticks / TimeSpan.TicksPerMillisecond) + millis;
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        for (var k = start; k < start + count; k++)
        {
            if (!char.IsAsciiDigit(s[k]))
            {
                return false;
            }

            value = (value * 10) + (s[k] - '0');
        }

        return true;
    }
}
