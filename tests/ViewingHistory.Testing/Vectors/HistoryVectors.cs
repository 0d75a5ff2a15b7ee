using System.Text.Json;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;

namespace ViewingHistory.Testing.Vectors;

/// <summary>
/// One case of shared/vectors/history.json (or of this project's erasure.json): events, hide marks, erasure marks, and
/// the history the contract defines for them.
/// </summary>
public sealed record HistoryVectorCase(
    string Name,
    IReadOnlyList<PlaybackEvent> Events,
    IReadOnlyList<string> EventJson,
    IReadOnlyList<HideMark> Hides,
    IReadOnlyDictionary<string, IReadOnlyList<ExpectedItem>> History,
    IReadOnlyList<ErasureMark> Erasures)
{
    public override string ToString() => Name;
}

/// <summary>An item as the vectors spell it, JSON-exact where it matters (progress as written).</summary>
public sealed record ExpectedItem(string TitleId, string LastWatchedAt, long PositionMs, long DurationMs, double Progress, bool Completed, int Sessions);

/// <summary>
/// Loads the contract's vectors: from shared/ beside the repository when present (the living copy), else from the
/// copy kept in this project.
/// </summary>
public static class HistoryVectors
{
    private static readonly Lazy<IReadOnlyList<HistoryVectorCase>> Cases = new(() => Load(Locate()));

    public static IReadOnlyList<HistoryVectorCase> All => Cases.Value;

    public static IEnumerable<object[]> Names => All.Select(c => new object[] { c.Name });

    public static HistoryVectorCase Get(string name) => All.Single(c => c.Name == name);

    public static PlaybackEvent ToEvent(JsonElement e)
    {
        if (!Timestamps.TryParse(e.GetProperty("timestamp").GetString(), out var ts))
        {
            throw new FormatException("Bad timestamp in the vectors.");
        }

        if (!PlaybackEventTypes.TryParse(e.GetProperty("type").GetString(), out var type))
        {
            throw new FormatException("Bad type in the vectors.");
        }

        return new PlaybackEvent(
            e.GetProperty("eventId").GetString()!,
            e.GetProperty("memberId").GetString()!,
            e.GetProperty("titleId").GetString()!,
            e.GetProperty("sessionId").GetString()!,
            e.GetProperty("seq").GetInt32(),
            type,
            e.GetProperty("positionMs").GetInt64(),
            e.GetProperty("durationMs").GetInt64(),
            ts,
            e.TryGetProperty("device", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null);
    }

    /// <summary>The cases of a vector file: events, hides, optional erasures, history.</summary>
    internal static IReadOnlyList<HistoryVectorCase> Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var cases = new List<HistoryVectorCase>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var events = c.GetProperty("events").EnumerateArray().ToList();
            var hides = c.GetProperty("hides").EnumerateArray().Select(h =>
            {
                Timestamps.TryParse(h.GetProperty("at").GetString(), out var at);
                var title = h.GetProperty("titleId");
                return new HideMark(h.GetProperty("memberId").GetString()!, title.ValueKind == JsonValueKind.Null ? null : title.GetString(), at);
            }).ToList();
            var history = c.GetProperty("history").EnumerateObject().ToDictionary(
                m => m.Name,
                m => (IReadOnlyList<ExpectedItem>)m.Value.EnumerateArray().Select(i => new ExpectedItem(
                    i.GetProperty("titleId").GetString()!,
                    i.GetProperty("lastWatchedAt").GetString()!,
                    i.GetProperty("positionMs").GetInt64(),
                    i.GetProperty("durationMs").GetInt64(),
                    i.GetProperty("progress").GetDouble(),
                    i.GetProperty("completed").GetBoolean(),
                    i.GetProperty("sessions").GetInt32())).ToList(),
                StringComparer.Ordinal);
            var erasures = c.TryGetProperty("erasures", out var marks)
                ? marks.EnumerateArray().Select(m =>
                {
                    Timestamps.TryParse(m.GetProperty("erasedThrough").GetString(), out var through);
                    return new ErasureMark(m.GetProperty("memberId").GetString()!, through);
                }).ToList()
                : [];
            cases.Add(new HistoryVectorCase(
                c.GetProperty("name").GetString()!,
                events.Select(ToEvent).ToList(),
                events.Select(e => e.GetRawText()).ToList(),
                hides,
                history,
                erasures));
        }

        return cases;
    }

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var shared = Path.Combine(dir.FullName, "shared", "vectors", "history.json");
            if (File.Exists(shared))
            {
                return shared;
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "Vectors", "history.json");
    }

    /// <summary>The item as the contract's JSON would show it, for comparison with <see cref="ExpectedItem"/>.</summary>
    public static ExpectedItem ToExpected(HistoryItem item) => new(
        item.TitleId, Timestamps.Format(item.LastWatchedAtMs), item.PositionMs, item.DurationMs, item.Progress4, item.Completed, item.Sessions);
}
