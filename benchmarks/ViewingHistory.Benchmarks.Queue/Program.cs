using System.Globalization;
using ViewingHistory.Benchmarks.Queue;

// Embedded log append benchmark: the raw group-committed fsync ceiling, then EmbeddedEventQueue.AppendAsync under
// concurrent appenders, each figure as a ratio to the ceiling measured in the same run.
// Usage: dotnet run -c Release --project benchmarks/ViewingHistory.Benchmarks.Queue [-- --quick] [--dir <path>]
var quick = args.Contains("--quick");
var dirIndex = Array.IndexOf(args, "--dir");
var root = dirIndex >= 0 && dirIndex + 1 < args.Length ? args[dirIndex + 1] : Path.Combine(Path.GetTempPath(), "vh-bench-queue-" + Environment.ProcessId);
var rawDuration = TimeSpan.FromSeconds(quick ? 1.5 : 5);
var scenarioDuration = TimeSpan.FromSeconds(quick ? 0.9 : 4);
Directory.CreateDirectory(root);
var inv = CultureInfo.InvariantCulture;

try
{
    Console.WriteLine(string.Create(inv, $"# Embedded log append ({(quick ? "quick" : "full")} run, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)"));
    Console.WriteLine();
    var raw = RawAppend.Run(Path.Combine(root, "raw.log"), rawDuration);
    Console.WriteLine(string.Create(inv, $"(a) raw ceiling: FileStream append of {RawAppend.RecordBytes} B records + Flush(true) every {RawAppend.RecordsPerCommit}: {raw.RecordsPerSecond:N0} records/s, {raw.CommitsPerSecond:N0} commits/s"));
    Console.WriteLine();
    Console.WriteLine("(b) EmbeddedEventQueue.AppendAsync (FasterLog 2.6.5, FastCommitMode, per-entry checksums), each append awaited until committed");
    Console.WriteLine();
    Console.WriteLine("| appenders | events/batch | entry bytes | batches/s | events/s | commits/s | batches/commit | p50 ms | p99 ms | batches/s ÷ (a) records/s | events/s ÷ (a) records/s |");
    Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var events in new[] { 1, 100 })
    {
        foreach (var appenders in new[] { 1, 16, 64 })
        {
            var r = await QueueAppend.RunAsync(Path.Combine(root, $"q-{appenders}-{events}"), appenders, events, scenarioDuration);
            Console.WriteLine(string.Create(inv,
                $"| {appenders} | {events} | {r.EntryBytes} | {r.BatchesPerSecond:N0} | {r.EventsPerSecond:N0} | {r.CommitsPerSecond:N0} | {r.BatchesPerSecond / Math.Max(1, r.CommitsPerSecond):N1} | {r.P50Ms:N2} | {r.P99Ms:N2} | {r.BatchesPerSecond / raw.RecordsPerSecond:N2} | {r.EventsPerSecond / raw.RecordsPerSecond:N2} |"));
        }
    }

    Console.WriteLine();
    Console.WriteLine("(c) commit mode: single-event batches, FastCommitMode on (the default) vs off");
    Console.WriteLine();
    Console.WriteLine("| appenders | FastCommitMode | batches/s | commits/s | p50 ms | p99 ms | commits/s ÷ (a) commits/s |");
    Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
    foreach (var appenders in new[] { 1, 64 })
    {
        foreach (var fast in new[] { true, false })
        {
            var r = await QueueAppend.RunAsync(Path.Combine(root, $"m-{appenders}-{fast}"), appenders, 1, scenarioDuration, fast);
            Console.WriteLine(string.Create(inv,
                $"| {appenders} | {(fast ? "on" : "off")} | {r.BatchesPerSecond:N0} | {r.CommitsPerSecond:N0} | {r.P50Ms:N2} | {r.P99Ms:N2} | {r.CommitsPerSecond / raw.CommitsPerSecond:N2} |"));
        }
    }
}
finally
{
    Directory.Delete(root, recursive: true);
}
