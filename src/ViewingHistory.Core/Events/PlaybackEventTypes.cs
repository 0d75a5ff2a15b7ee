namespace ViewingHistory.Core.Events;

public static class PlaybackEventTypes
{
    public static string ToWire(this PlaybackEventType type) => type switch
    {
        PlaybackEventType.Start => "start",
        PlaybackEventType.Progress => "progress",
        PlaybackEventType.Pause => "pause",
        PlaybackEventType.Resume => "resume",
        PlaybackEventType.Stop => "stop",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool TryParse(ReadOnlySpan<char> value, out PlaybackEventType type)
    {
        switch (value)
        {
            case "start": type = PlaybackEventType.Start; return true;
            case "progress": type = PlaybackEventType.Progress; return true;
            case "pause": type = PlaybackEventType.Pause; return true;
            case "resume": type = PlaybackEventType.Resume; return true;
            case "stop": type = PlaybackEventType.Stop; return true;
            default: type = default; return false;
        }
    }
}
