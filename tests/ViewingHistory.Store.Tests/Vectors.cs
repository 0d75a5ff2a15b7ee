using System.Text.Json;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;

namespace ViewingHistory.Store.Tests;

/// <summary>The shared history vectors (shared/vectors/history.json): event sets, hide marks and their history.</summary>
public static class Vectors
{
    private static readonly Lazy<IReadOnlyList<VectorCase>> All = new(Load);

    public static IReadOnlyList<VectorCase> Cases => All.Value;

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases)
        {
            data.Add(c.Name);
        }

        return data;
    }

    public static VectorCase Named(string name) => Cases.Single(c => c.Name == name);

    /// <summary>
    /// shared/ lies beside the repository (in a work tree and in CI alike): walk up from the test binaries until a
    /// directory holds shared/vectors/history.json. VH_SHARED_DIR overrides.
    /// </summary>
    public static string FindFile()
    {
        var overridden = Environment.GetEnvironmentVariable("VH_SHARED_DIR");
        if (!string.IsNullOrEmpty(overridden))
        {
            return Path.Combine(overridden, "vectors", "history.json");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "vectors", "history.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"shared/vectors/history.json was not found above {AppContext.BaseDirectory}; set VH_SHARED_DIR.");
    }

    private static List<VectorCase> Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(FindFile()));
        var cases = new List<VectorCase>();
        foreach (var c in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            var events = c.GetProperty("events").EnumerateArray().Select(ParseEvent).ToList();
            var hides = c.GetProperty("hides").EnumerateArray()
                .Select(h => new HideMark(
                    h.GetProperty("memberId").GetString()!,
                    h.TryGetProperty("titleId", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null,
                    Time(h.GetProperty("at"))))
                .ToList();
            var history = new Dictionary<string, List<ExpectedItem>>(StringComparer.Ordinal);
            foreach (var member in c.GetProperty("history").EnumerateObject())
            {
                history[member.Name] = member.Value.EnumerateArray().Select(i => new ExpectedItem(
                    new HistoryItem(
                        i.GetProperty("titleId").GetString()!,
                        Time(i.GetProperty("lastWatchedAt")),
                        i.GetProperty("positionMs").GetInt64(),
                        i.GetProperty("durationMs").GetInt64(),
                        i.GetProperty("sessions").GetInt32()),
                    i.GetProperty("progress").GetDouble(),
                    i.GetProperty("completed").GetBoolean())).ToList();
            }

            cases.Add(new VectorCase(c.GetProperty("name").GetString()!, events, hides, history));
        }

        return cases;
    }

    private static PlaybackEvent ParseEvent(JsonElement e)
    {
        if (!PlaybackEventTypes.TryParse(e.GetProperty("type").GetString(), out var type))
        {
            throw new FormatException($"Unknown type in {e}");
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
            Time(e.GetProperty("timestamp")),
            e.TryGetProperty("device", out var d) ? d.GetString() : null);
    }

    private static long Time(JsonElement e) =>
        Timestamps.TryParse(e.GetString(), out var ms) ? ms : throw new FormatException($"Not an RFC 3339 time: {e}");
}

public sealed record VectorCase(string Name, List<PlaybackEvent> Events, List<HideMark> Hides, Dictionary<string, List<ExpectedItem>> History)
{
    public IEnumerable<string> Members =>
        Events.Select(e => e.MemberId).Concat(History.Keys).Concat(Hides.Select(h => h.MemberId)).Distinct(StringComparer.Ordinal);

    public override string ToString() => Name;
}

public sealed record ExpectedItem(HistoryItem Item, double Progress, bool Completed);
