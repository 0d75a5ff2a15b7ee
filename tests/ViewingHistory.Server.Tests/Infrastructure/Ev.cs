using System.Globalization;
using System.Text.Json.Nodes;

namespace ViewingHistory.Server.Tests.Infrastructure;

/// <summary>Builds contract events as JSON, with unique ids unless told otherwise.</summary>
public static class Ev
{
    private static long _counter;

    public static readonly DateTimeOffset Base = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 64)];

    public static JsonObject Make(
        string member,
        string title,
        string session = "s1",
        int seq = 0,
        long position = 0,
        long duration = 100_000,
        DateTimeOffset? at = null,
        string type = "progress",
        string? id = null) => new()
        {
            ["eventId"] = id ?? $"e{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}",
            ["memberId"] = member,
            ["titleId"] = title,
            ["sessionId"] = session,
            ["seq"] = seq,
            ["type"] = type,
            ["positionMs"] = position,
            ["durationMs"] = duration,
            ["timestamp"] = (at ?? Base).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        };

    public static string Batch(params JsonObject[] events) => new JsonArray(events.Select(e => (JsonNode)e.DeepClone()).ToArray()).ToJsonString();

    public static string Batch(IEnumerable<JsonObject> events) => Batch(events.ToArray());
}
