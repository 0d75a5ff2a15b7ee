using System.Diagnostics;
using System.Globalization;

namespace ViewingHistory.Benchmarks.Harness;

/// <summary>
/// The <c>server-cost</c> subcommand: the CPU a server spends per event under a fixed open-loop load, which a shared
/// machine disturbs far less than a rate (benchmarks/NOTES.md). Starts the server (settings <c>--set K=V</c>, runtime
/// knobs <c>--env K=V</c>), offers <c>--rate</c> events/s of 100-event requests for <c>--warm</c> + <c>--seconds</c>
/// seconds, and over the measured window reports the server's CPU (utime + stime of /proc) per ingested and per
/// processed event, by thread name, the load generator's CPU, and the processed rate and lag. <c>--perf FILE</c>
/// records the window with <c>perf record -g</c> (the server runs with DOTNET_PerfMapEnabled=1 then).
/// </summary>
public static class ServerCost
{
    public static async Task<int> RunAsync(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        string Option(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        List<(string, string)> Pairs(string name) =>
            [.. args.Select((a, i) => (a, i)).Where(p => p.a == name && p.i + 1 < args.Length).Select(p => args[p.i + 1].Split('=', 2)).Select(kv => (kv[0], kv[1]))];

        var rate = double.Parse(Option("--rate", "10000"), inv);
        var warm = double.Parse(Option("--warm", "10"), inv);
        var seconds = double.Parse(Option("--seconds", "15"), inv);
        var active = int.Parse(Option("--active", "200000"), inv);
        var batch = int.Parse(Option("--batch", "100"), inv);
        var perf = Option("--perf", "");
        var environment = Pairs("--env").ToDictionary(p => p.Item1, p => p.Item2);
        if (perf.Length > 0)
        {
            environment["DOTNET_PerfMapEnabled"] = "1";
        }

        var dir = Path.Combine(Path.GetTempPath(), "vh-cost-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            await using var server = await Children.StartServerAsync(dir, environment, null, [.. Pairs("--set")]);
            Console.WriteLine($"server pid {server.Pid}, load {Children.LoadAverage():F1}");
            // A few seconds beyond the window, so that the generator is still running (and measurable) when it closes.
            var phases = string.Create(inv, $"{rate / batch:F1}:{warm + seconds + 5:F0}");
            var load = Children.LoadAsync(server.BaseAddress, phases, batch, "k" + Guid.NewGuid().ToString("N")[..6], active: active);
            await Task.Delay(TimeSpan.FromSeconds(warm));
            var generator = LoadGeneratorPid();
            var clock = Stopwatch.StartNew();
            var (m0, t0, p0, g0) = (await Metrics.ScrapeAsync(server.BaseAddress, clock), Threads(server.Pid), Ticks(server.Pid), Ticks(generator));
            using var recorder = perf.Length > 0
                ? Process.Start("perf", ["record", "-F", "499", "-g", "-p", server.Pid.ToString(inv), "-o", perf, "--", "sleep", seconds.ToString(inv)])
                : null;
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            var (m1, t1, p1, g1) = (await Metrics.ScrapeAsync(server.BaseAddress, clock), Threads(server.Pid), Ticks(server.Pid), Ticks(generator));
            var window = m1.At - m0.At;
            var (ingested, processed, rows) = (m1.Ingested - m0.Ingested, m1.Processed - m0.Processed, m1.Rows - m0.Rows);
            // The process's own counters: they keep the time of threads that ended during the window.
            var cpu = (p1 - p0) * TickMicroseconds;
            Console.WriteLine($"window {window.TotalSeconds:F1} s, load {Children.LoadAverage():F1}: ingested {ingested / window.TotalSeconds:N0} ev/s, processed {processed / window.TotalSeconds:N0} ev/s ({rows / window.TotalSeconds:N0} rows/s), lag {m0.Lag:N0} -> {m1.Lag:N0}");
            Console.WriteLine($"server CPU {cpu / window.TotalMicroseconds:F2} cores: {cpu / ingested:F1} µs per ingested event, {cpu / processed:F1} µs per processed event");
            var applies = m1["vh_processor_apply_duration_seconds_count"] - m0["vh_processor_apply_duration_seconds_count"];
            var applying = m1["vh_processor_apply_duration_seconds_sum"] - m0["vh_processor_apply_duration_seconds_sum"];
            Console.WriteLine($"processor: {applies / window.TotalSeconds:F1} applies/s, {processed / applies:N0} events per apply, {applying * 1000 / applies:F1} ms per apply, busy {applying / window.TotalSeconds:P0}");
            const string EndToEnd = "vh_end_to_end_latency_seconds";
            const string Apply = "vh_processor_apply_duration_seconds";
            Console.WriteLine(
                $"end-to-end p50 {Metrics.HistogramQuantile(m0, m1, EndToEnd, 0.5) * 1000:F1} ms, p99 {Metrics.HistogramQuantile(m0, m1, EndToEnd, 0.99) * 1000:F1} ms; " +
                $"apply p50 {Metrics.HistogramQuantile(m0, m1, Apply, 0.5) * 1000:F1} ms, p99 {Metrics.HistogramQuantile(m0, m1, Apply, 0.99) * 1000:F1} ms");
            if (generator > 0)
            {
                Console.WriteLine($"load generator CPU {(g1 - g0) * TickMicroseconds / ingested:F1} µs per ingested event");
            }

            foreach (var (name, ticks) in t1.Select(kv => (kv.Key, kv.Value - t0.GetValueOrDefault(kv.Key))).Where(p => p.Item2 > 0).OrderByDescending(p => p.Item2))
            {
                Console.WriteLine($"  {name,-24} {ticks * TickMicroseconds / ingested,7:F2} µs/event  {ticks * 100.0 * TickMicroseconds / cpu,5:F1} %");
            }

            if (recorder is not null)
            {
                await recorder.WaitForExitAsync();
            }

            var report = await load;
            Console.WriteLine($"ingest p50 {report.Phases[0].P50Ms:F1} ms, p99 {report.Phases[0].P99Ms:F1} ms, errors {report.Phases[0].Requests - report.Phases[0].Ok}");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // USER_HZ is 100 on Linux.
    internal const double TickMicroseconds = 10_000;

    /// <summary>
    /// utime + stime of each thread of <paramref name="pid"/>, summed by thread name (pool threads share one); a thread
    /// that ends within the window is missing from the second sample, so these are a breakdown, not the total.
    /// </summary>
    internal static Dictionary<string, long> Threads(int pid)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..stat.LastIndexOf(')')];
                result[name] = result.GetValueOrDefault(name) + UserPlusSystem(stat);
            }
            catch (IOException)
            {
                // The thread ended between listing and reading: its time is lost from both samples alike.
            }
        }

        return result;
    }

    /// <summary>CPU ticks of the runtime's background tiered-compilation thread of <paramref name="pid"/>.</summary>
    internal static long JitTicks(int pid) => Threads(pid).GetValueOrDefault(".NET Tiered Com");

    /// <summary>utime + stime of the whole process <paramref name="pid"/> in clock ticks (0 if it is gone).</summary>
    internal static long Ticks(int pid)
    {
        try
        {
            return pid > 0 ? UserPlusSystem(File.ReadAllText($"/proc/{pid}/stat")) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static long UserPlusSystem(string stat)
    {
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>The load generator: this process's child whose command line names the <c>load</c> subcommand.</summary>
    private static int LoadGeneratorPid()
    {
        var me = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var ppid = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1];
                if (ppid == me && File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0').Contains("load"))
                {
                    return pid;
                }
            }
            catch (IOException)
            {
            }
        }

        return 0;
    }
}
