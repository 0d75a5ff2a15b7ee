using System.Diagnostics;
using System.Text;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// Row 2: the embedded log's durable appends against raw group-committed fsync appends. The queue benchmark
/// (benchmarks/ViewingHistory.Benchmarks.Queue) measures both in one process; the suite runs it as a child and
/// keeps its tables.
/// </summary>
public static class DurableAppendRow
{
    public static async Task RunAsync(Suite suite)
    {
        // Its own build output (built as a dependency of this project), which carries its deps and runtime config.
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.GetFullPath(Path.Combine(Suite.FindBenchmarksDirectory(), "ViewingHistory.Benchmarks.Queue", "bin", configuration, "net10.0", "ViewingHistory.Benchmarks.Queue.dll"));
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true };
        info.ArgumentList.Add(dll);
        if (suite.Quick)
        {
            info.ArgumentList.Add("--quick");
        }

        info.ArgumentList.Add("--dir");
        info.ArgumentList.Add(suite.NewDataDir("queue"));
        var load = Harness.Children.LoadAverage();
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The queue benchmark exited with {process.ExitCode}.");
        }

        var lines = output.Split('\n').Where(l => !l.StartsWith("# ", StringComparison.Ordinal));
        var sb = new StringBuilder();
        sb.AppendLine($"`dotnet benchmarks/ViewingHistory.Benchmarks.Queue{(suite.Quick ? " --quick" : "")}`, run by the suite (load {load:N1} at its start). (a) is the ceiling; the ratio columns divide by it.");
        sb.AppendLine();
        sb.AppendLine(string.Join('\n', lines).Trim());
        suite.Report.Add("row2_append", "2. Durable append: the embedded log against raw group-committed appends", sb.ToString(), new { output, load });
    }
}
