using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ViewingHistory.Benchmarks.Harness;

/// <summary>
/// The <c>load</c> subcommand: the load generator of the rows that need a rate (open loop) or the heartbeat
/// workload, run as a child process so its CPU is not the measured server's. In open loop a request's latency counts
/// from the moment it was due, not from when it was sent, so a stalled server cannot hide its stall by slowing the
/// generator down (no coordinated omission). Phases are "rate:seconds" (requests/s; rate 0 = closed loop with
/// <c>--concurrency</c> requests in flight).
/// </summary>
public static class LoadGenerator
{
    public static async Task<int> RunAsync(Dictionary<string, string> a)
    {
        var url = new Uri(a["url"]);
        var key = a["key"];
        var batch = int.Parse(a.GetValueOrDefault("batch", "100"), System.Globalization.CultureInfo.InvariantCulture);
        var concurrency = int.Parse(a.GetValueOrDefault("concurrency", "32"), System.Globalization.CultureInfo.InvariantCulture);
        var maxEvents = long.Parse(a.GetValueOrDefault("max-events", "0"), System.Globalization.CultureInfo.InvariantCulture);
        var workload = new Workload(a.GetValueOrDefault("run", "r"), int.Parse(a.GetValueOrDefault("active", "2000"), System.Globalization.CultureInfo.InvariantCulture));
        long next = long.Parse(a.GetValueOrDefault("first", "0"), System.Globalization.CultureInfo.InvariantCulture);
        var phases = a["phases"].Split(',').Select(p => p.Split(':')).Select(p => (Rate: double.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), Seconds: double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture))).ToList();

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 2048, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        var auth = new AuthenticationHeaderValue("Bearer", key);
        var clock = Stopwatch.StartNew();
        var timeline = new ConcurrentDictionary<int, Second>();
        var results = new List<PhaseResult>();

        async Task SendOne(long first, long dueTicks, Phase phase)
        {
            var sb = new StringBuilder(batch * 240);
            workload.WriteBatch(sb, first, batch);
            using var request = new HttpRequestMessage(HttpMethod.Post, url);
            request.Headers.Authorization = auth;
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(sb.ToString()));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            string status;
            try
            {
                using var response = await http.SendAsync(request);
                status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception ex)
            {
                status = ex.GetType().Name;
            }

            var end = clock.Elapsed.Ticks;
            var us = (end - dueTicks) / 10;
            var ok = status == "202";
            phase.Record(us, ok, status, batch);
            var second = timeline.GetOrAdd((int)(end / TimeSpan.TicksPerSecond), _ => new Second());
            second.Record(us, ok, batch);
        }

        // Open-loop requests still in flight when their phase ends are not waited for: the next phase starts on
        // time (so phases stay aligned with the faults a row injects by the clock), and a late request still counts in
        // the phase it was due in.
        var inFlight = new List<Task>();
        using var gate = new SemaphoreSlim(4096);
        var finished = new List<(Phase Phase, double Rate, double Seconds)>();
        foreach (var (rate, seconds) in phases)
        {
            var phase = new Phase();
            var start = clock.Elapsed;
            var end = start + TimeSpan.FromSeconds(seconds);
            if (rate <= 0)
            {
                var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
                {
                    while (clock.Elapsed < end && (maxEvents == 0 || Interlocked.Read(ref next) < maxEvents))
                    {
                        var first = Interlocked.Add(ref next, batch) - batch;
                        await SendOne(first, clock.Elapsed.Ticks, phase);
                    }
                }));
                await Task.WhenAll(workers);
            }
            else
            {
                var interval = TimeSpan.FromSeconds(1 / rate);
                var due = start;
                while (due < end)
                {
                    var now = clock.Elapsed;
                    while (due <= now && due < end)
                    {
                        await gate.WaitAsync();
                        var first = next;
                        next += batch;
                        var dueTicks = due.Ticks;
                        inFlight.Add(Task.Run(async () =>
                        {
                            try
                            {
                                await SendOne(first, dueTicks, phase);
                            }
                            finally
                            {
                                gate.Release();
                            }
                        }));
                        due += interval;
                    }

                    if (inFlight.Count > 10_000)
                    {
                        inFlight.RemoveAll(t => t.IsCompleted);
                    }

                    await Task.Delay(1);
                }
            }

            finished.Add((phase, rate, rate <= 0 ? (clock.Elapsed - start).TotalSeconds : seconds));
        }

        await Task.WhenAll(inFlight);
        results.AddRange(finished.Select(f => f.Phase.Result(f.Rate, f.Seconds)));

        var report = new LoadReport(results, timeline.OrderBy(kv => kv.Key).Select(kv => kv.Value.Result(kv.Key)).ToList(), next);
        await File.WriteAllTextAsync(a["out"], JsonSerializer.Serialize(report));
        return 0;
    }

    private sealed class Phase
    {
        private readonly LatencyRecorder _latency = new();
        private readonly ConcurrentDictionary<string, int> _errors = new();
        private long _ok;
        private long _events;

        public void Record(long us, bool ok, string status, int events)
        {
            _latency.Add(us);
            if (ok)
            {
                Interlocked.Increment(ref _ok);
                Interlocked.Add(ref _events, events);
            }
            else
            {
                _errors.AddOrUpdate(status, 1, (_, n) => n + 1);
            }
        }

        public PhaseResult Result(double rate, double seconds) => new(
            rate, seconds, _latency.Count, _ok, _events, _errors.ToDictionary(), _latency.QuantileMs(0.5), _latency.QuantileMs(0.99), _latency.QuantileMs(1));
    }

    private sealed class Second
    {
        private readonly LatencyRecorder _latency = new();
        private long _ok;
        private long _errors;
        private long _events;

        public void Record(long us, bool ok, int events)
        {
            _latency.Add(us);
            if (ok)
            {
                Interlocked.Increment(ref _ok);
                Interlocked.Add(ref _events, events);
            }
            else
            {
                Interlocked.Increment(ref _errors);
            }
        }

        public SecondResult Result(int t) => new(t, _ok, _errors, _events, _latency.QuantileMs(0.99));
    }
}

public sealed record PhaseResult(double Rate, double Seconds, long Requests, long Ok, long Events, Dictionary<string, int> Errors, double P50Ms, double P99Ms, double MaxMs)
{
    public double OkPerSecond => Ok / Seconds;

    public double EventsPerSecond => Events / Seconds;

    public double ErrorRate => Requests == 0 ? 0 : (Requests - Ok) / (double)Requests;
}

public sealed record SecondResult(int T, long Ok, long Errors, long Events, double P99Ms);

public sealed record LoadReport(List<PhaseResult> Phases, List<SecondResult> Timeline, long NextEvent);
