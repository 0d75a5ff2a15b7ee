using System.Globalization;

namespace ViewingHistory.Queue.Embedded;

/// <summary>
/// A persisted log position: every entry below <paramref name="Address"/> is acknowledged, and
/// <paramref name="EventsBelow"/> events were ever appended below it. Because the count is cumulative from the
/// start of the log, any checkpoint can serve as the base for counting the events of the rest of the log.
/// </summary>
internal readonly record struct ConsumerCheckpoint(long Address, long EventsBelow)
{
    private const string Version = "v1";

    public string Serialize() => string.Create(CultureInfo.InvariantCulture, $"{Version} {Address} {EventsBelow}\n");

    public static ConsumerCheckpoint? TryRead(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var parts = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 3 || parts[0] != Version
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var address)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var events))
        {
            // Files are replaced by rename, so a torn file means someone else wrote it: refuse rather than guess.
            throw new InvalidDataException($"Corrupt queue checkpoint {path}.");
        }

        return new ConsumerCheckpoint(address, events);
    }
}
