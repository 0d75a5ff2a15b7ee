using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ViewingHistory.Benchmarks.Harness;

/// <summary>
/// What the suite found: one markdown section and one JSON object per row, written to RESULTS.md and results.json
/// after every row, so a run cut short still leaves the rows it finished.
/// </summary>
public sealed class Report(string directory, string command, bool quick)
{
    /// <summary>Rows in number order ("row10_..." after "row9_..."), then by key.</summary>
    private static readonly Comparer<string> ByRow = Comparer<string>.Create((a, b) =>
        RowNumber(a) != RowNumber(b) ? RowNumber(a).CompareTo(RowNumber(b)) : string.CompareOrdinal(a, b));

    private readonly SortedDictionary<string, (string Title, string Markdown)> _sections = new(ByRow);
    private readonly SortedDictionary<string, object> _json = new(ByRow);
    private readonly Dictionary<string, JsonElement> _earlierData = new(StringComparer.Ordinal);
    private readonly DateTime _started = DateTime.UtcNow;

    public string Directory { get; } = directory;

    public static string F(double v, int decimals = 0) =>
        double.IsNaN(v) ? "n/a" : v.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>The row number in a key such as <c>row10_streams</c> (0 when there is none).</summary>
    public static int RowNumber(string key)
    {
        var digits = key.StartsWith("row", StringComparison.Ordinal) ? key[3..].TakeWhile(char.IsAsciiDigit).ToArray() : [];
        return digits.Length == 0 ? 0 : int.Parse(digits, CultureInfo.InvariantCulture);
    }

    public void Add(string key, string title, string markdown, object json)
    {
        _sections[key] = (title, markdown);
        _json[key] = new { title, markdown, data = json };
        Console.WriteLine($"## {title}\n\n{markdown}");
        Write();
    }

    /// <summary>
    /// Keeps the rows of an earlier run (its results.json) that this run does not redo, so one row can be run again
    /// without losing the others; RESULTS.md then says which rows come from which run.
    /// </summary>
    public void KeepEarlierRows(IReadOnlySet<int> redone)
    {
        var path = Path.Combine(Directory, "results.json");
        if (!File.Exists(path))
        {
            return;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        if (!document.RootElement.TryGetProperty("rows", out var rows))
        {
            return;
        }

        var started = document.RootElement.TryGetProperty("started", out var s) ? s.GetDateTime() : default;
        var earlierCommand = document.RootElement.TryGetProperty("command", out var c) ? c.GetString() : null;
        foreach (var row in rows.EnumerateObject())
        {
            if (row.Value.TryGetProperty("data", out var data))
            {
                _earlierData[row.Name] = data.Clone();
            }

            if (!row.Value.TryGetProperty("markdown", out var markdown) || redone.Contains(RowNumber(row.Name)))
            {
                continue;
            }

            var note = string.Create(CultureInfo.InvariantCulture, $"*From an earlier run: `{earlierCommand}`, started {started:yyyy-MM-dd HH:mm} UTC.*\n\n");
            var text = markdown.GetString()!;
            _sections[row.Name] = (row.Value.GetProperty("title").GetString()!, text.StartsWith("*From an earlier run", StringComparison.Ordinal) ? text : note + text);
            _json[row.Name] = new { title = _sections[row.Name].Title, markdown = _sections[row.Name].Markdown, data = row.Value.GetProperty("data").Clone() };
        }
    }

    /// <summary>Numeric figures of a row in the earlier run's results.json (kept or redone now), by name.</summary>
    public IEnumerable<(string Key, double Value)> EarlierFigures(string row, params string[] names)
    {
        if (_earlierData.TryGetValue(row, out var data))
        {
            foreach (var name in names)
            {
                if (data.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number)
                {
                    yield return (name, v.GetDouble());
                }
            }
        }
    }

    public void Write()
    {
        var elapsed = DateTime.UtcNow - _started;
        var sb = new StringBuilder();
        sb.AppendLine("# Benchmark results");
        sb.AppendLine();
        sb.AppendLine("Every figure is a ratio to a ceiling measured in the same run on the same machine, or to the sync mode, with the");
        sb.AppendLine("absolute value beside it (DESIGN.md, \"Performance method\"). Load comes from a separate process over loopback");
        sb.AppendLine("(`wrk` for row 1, the suite's own `load` subcommand for the rate-limited rows). The machine has 2 cores shared with");
        sb.AppendLine("other engineers' builds and tests, so absolute figures move between runs; the 1-minute load average is recorded");
        sb.AppendLine("beside every measurement (\"load\").");
        sb.AppendLine();
        sb.AppendLine("Command (from the repository root; add `-- --quick` for the short variant, `-- --rows 3,5` to redo some rows):");
        sb.AppendLine();
        sb.AppendLine("```");
        sb.AppendLine("dotnet run -c Release --project benchmarks/ViewingHistory.Benchmarks");
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine($"Latest invocation: `{command}`; rows kept from earlier invocations name theirs.");
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"This run: {(quick ? "--quick" : "full")}, {Environment.ProcessorCount} cores, started {_started:yyyy-MM-dd HH:mm} UTC, {elapsed.TotalMinutes:N1} min so far, load average at start {File.ReadAllText("/proc/loadavg").Split(' ')[2]} (15 min)."));
        sb.AppendLine();
        foreach (var (title, markdown) in _sections.Values)
        {
            sb.AppendLine($"## {title}");
            sb.AppendLine();
            sb.AppendLine(markdown.TrimEnd());
            sb.AppendLine();
        }

        // What the figures mean, what changed because of them and what limits remain: written by hand in NOTES.md
        // (the program cannot know it), kept with the figures it reads. A run into another directory (--out) takes the
        // repository's NOTES.md, so that its RESULTS.md can replace the repository's without losing them.
        var notes = Path.Combine(Directory, "NOTES.md");
        if (!File.Exists(notes))
        {
            notes = Path.Combine(Suite.FindBenchmarksDirectory(), "NOTES.md");
        }

        if (File.Exists(notes))
        {
            sb.AppendLine(File.ReadAllText(notes).TrimEnd());
            sb.AppendLine();
        }

        System.IO.Directory.CreateDirectory(Directory); // --out may name a directory that does not exist yet
        File.WriteAllText(Path.Combine(Directory, "RESULTS.md"), sb.ToString());
        File.WriteAllText(
            Path.Combine(Directory, "results.json"),
            JsonSerializer.Serialize(new { command, quick, started = _started, cores = Environment.ProcessorCount, rows = _json }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
    }
}
