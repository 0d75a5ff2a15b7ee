using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ViewingHistory.Benchmarks.Harness;

/// <summary>
/// wrk (closed loop, one thread, a fixed number of connections): the load tool of row 1, the same against the no-op
/// ceiling, async and sync. Its Lua script makes every event unique (per-thread counter and a random thread tag).
/// </summary>
public static partial class Wrk
{
    /// <summary>One run; <see cref="CpuMicrosPerRequest"/> is the server's utime + stime over the run per answered request (NaN without its pid).</summary>
    public sealed record Result(double RequestsPerSecond, double EventsPerSecond, double P50Ms, double P99Ms, long Non2xx, long SocketErrors, double LoadAverage, double CpuMicrosPerRequest = double.NaN);

    /// <summary>
    /// Runs wrk against <paramref name="server"/>; with <paramref name="serverPid"/>, also the CPU that process spent per
    /// request over the run, which a shared machine disturbs far less than the rate (benchmarks/NOTES.md).
    /// </summary>
    public static async Task<Result> RunAsync(Uri server, int eventsPerRequest, int connections, TimeSpan duration, int serverPid = 0)
    {
        var script = Path.Combine(Path.GetTempPath(), $"vh-wrk-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, Script(eventsPerRequest));
        try
        {
            var info = new ProcessStartInfo("wrk") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-t1", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--latency", "--timeout", "10s", "-s", script, new Uri(server, "/v1/playback/events").ToString() })
            {
                info.ArgumentList.Add(a);
            }

            var cpuBefore = ServerCost.Ticks(serverPid);
            using var process = Process.Start(info)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            var cpu = (ServerCost.Ticks(serverPid) - cpuBefore) * ServerCost.TickMicroseconds;
            var load = Children.LoadAverage();
            var rps = Number(RequestsRegex(), output);
            var requests = Number(TotalRegex(), output, 0);
            return new Result(
                rps,
                rps * eventsPerRequest,
                Millis(output, "50%"),
                Millis(output, "99%"),
                (long)Number(Non2xxRegex(), output, 0),
                SocketErrorsRegex().Matches(output).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)),
                load,
                serverPid > 0 && requests > 0 ? cpu / requests : double.NaN);
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static string Script(int events) => $$"""
        local counter = 0
        local tag = ""
        local n = {{events}}
        local ts = os.date("!%Y-%m-%dT%H:%M:%SZ")
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        wrk.headers["Authorization"] = "Bearer {{Children.IngestKey}}"
        function init(args)
          math.randomseed(os.time() + os.clock() * 1000000)
          tag = "w" .. math.random(1, 2000000000)
        end
        function request()
          local parts = {}
          for k = 1, n do
            counter = counter + 1
            local m = counter % 1000
            parts[k] = '{"eventId":"' .. tag .. '-' .. counter .. '","memberId":"' .. tag .. 'm' .. m ..
              '","titleId":"t1","sessionId":"s' .. m .. '","seq":' .. counter .. ',"type":"progress","positionMs":' ..
              ((counter % 3600) * 1000) .. ',"durationMs":3600000,"timestamp":"' .. ts .. '"}'
          end
          return wrk.format(nil, nil, nil, "[" .. table.concat(parts, ",") .. "]")
        end
        """;

    private static double Number(Regex regex, string output, double fallback = double.NaN)
    {
        var m = regex.Match(output);
        return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : fallback;
    }

    private static double Millis(string output, string percentile)
    {
        var m = Regex.Match(output, $@"^\s*{Regex.Escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!m.Success)
        {
            return double.NaN;
        }

        var v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => v / 1000, "s" => v * 1000, _ => v };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsRegex();

    [GeneratedRegex(@"(\d+) requests in ")]
    private static partial Regex TotalRegex();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xxRegex();

    [GeneratedRegex(@"(?:connect|read|write|timeout) (\d+)")]
    private static partial Regex SocketErrorsRegex();
}
