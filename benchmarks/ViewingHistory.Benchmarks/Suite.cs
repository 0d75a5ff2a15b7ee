using System.Diagnostics;
using ViewingHistory.Benchmarks.Harness;
using ViewingHistory.Benchmarks.Rows;
using ViewingHistory.Testing;

namespace ViewingHistory.Benchmarks;

/// <summary>Runs the rows of issue 9 in order; a row that fails is reported as failed and the suite goes on.</summary>
public sealed class Suite : IAsyncDisposable
{
    private PostgresServer? _postgres;

    private Suite(bool quick, Report report, string work)
    {
        Quick = quick;
        Report = report;
        Work = work;
    }

    public bool Quick { get; }

    public Report Report { get; }

    /// <summary>A temp dir for data dirs of this run.</summary>
    public string Work { get; }

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <summary>Figures later rows build on (e.g. the sustained capacity found by row 3).</summary>
    public Dictionary<string, double> Shared { get; } = [];

    public TimeSpan Seconds(double quick, double full) => TimeSpan.FromSeconds(Quick ? quick : full);

    public string NewDataDir(string name)
    {
        var dir = Path.Combine(Work, $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>One throwaway PostgreSQL for the rows that need it, started on first use.</summary>
    public async Task<PostgresServer> PostgresAsync()
    {
        if (_postgres is null)
        {
            _postgres = new PostgresServer();
            await _postgres.InitializeAsync();
        }

        return _postgres;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var rowsIndex = Array.IndexOf(args, "--rows");
        var rows = rowsIndex >= 0 ? args[rowsIndex + 1].Split(',').Select(int.Parse).ToHashSet() : [.. Enumerable.Range(1, 10)];
        var outIndex = Array.IndexOf(args, "--out");
        var output = outIndex >= 0 ? args[outIndex + 1] : FindBenchmarksDirectory();
        var command = "dotnet run -c Release --project benchmarks/ViewingHistory.Benchmarks" + (args.Length > 0 ? " -- " + string.Join(' ', args) : string.Empty);
        await Prerequisites.EnsureAsync();
        var work = Path.Combine(Path.GetTempPath(), $"vh-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        await using var suite = new Suite(quick, new Report(output, command, quick), work);
        if (rowsIndex >= 0)
        {
            suite.Report.KeepEarlierRows(rows);
            if (!rows.Contains(3))
            {
                // Rows 4 and 6 run at fractions of row 3's sustained capacity: take it from the kept row 3.
                foreach (var (key, value) in suite.Report.EarlierFigures("row3_processing", "sustained_events_per_s", "sustained_realistic_events_per_s", "raw_sqlite_rows_per_s", "raw_postgres_rows_per_s"))
                {
                    suite.Shared[key] = value;
                }

                // Row 7 quotes row 3's store size: keep the figures the last row 7 quoted.
                foreach (var (key, value) in suite.Report.EarlierFigures("row7_read", "sqlite_bytes_per_million_events", "queue_bytes_per_million_events"))
                {
                    suite.Shared[key] = value;
                }
            }
        }

        (int Row, Func<Suite, Task> Run)[] all =
        [
            (1, IngestRow.RunAsync),
            (2, DurableAppendRow.RunAsync),
            (3, ProcessingRow.RunAsync),
            (4, LatencyRow.RunAsync),
            (5, FaultRow.RunAsync),
            (6, BurstRow.RunAsync),
            (7, ReadRow.RunAsync),
            (8, DistributedRow.RunAsync),
            (9, WarmStartRow.RunAsync),
            (10, ShardedStreamsRow.RunAsync),
        ];
        foreach (var (row, run) in all)
        {
            if (!rows.Contains(row))
            {
                continue;
            }

            var started = suite.Clock.Elapsed;
            Console.Error.WriteLine($"[suite] row {row} starts at {started.TotalSeconds:N0} s (load {Children.LoadAverage()})");
            try
            {
                await run(suite);
            }
            catch (Exception ex)
            {
                suite.Report.Add($"row{row}_failed", $"Row {row}: failed", $"The row failed: `{ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}`", new { error = ex.ToString() });
            }

            Console.Error.WriteLine($"[suite] row {row} took {(suite.Clock.Elapsed - started).TotalSeconds:N0} s");
        }

        suite.Report.Write();
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        try
        {
            Directory.Delete(Work, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The repository's benchmarks/ directory (found above this program's output).</summary>
    public static string FindBenchmarksDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ViewingHistory.slnx")))
            {
                return Path.Combine(dir.FullName, "benchmarks");
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
