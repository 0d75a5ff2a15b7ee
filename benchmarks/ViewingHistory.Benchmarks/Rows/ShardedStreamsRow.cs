using System.Diagnostics;
using System.Globalization;
using System.Text;
using ViewingHistory.Benchmarks.Harness;
using ViewingHistory.Core.Events;
using ViewingHistory.Queue.JetStream;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using static ViewingHistory.Benchmarks.Harness.Report;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// Row 10 (issue 18): the queue sharded into S = 1 and S = 3 JetStream streams (<c>Queue:Streams</c>) on one loopback
/// nats-server, and the store into N = 1 and N = 2 PostgreSQL shards (<c>Store:Shards</c>, two databases of one
/// loopback server). The streams are filled with the queue's own append (realistic workload, 100-event batches split by
/// member), then one processor process drains every stream into the store: append and drain rates, each stream's
/// drain rate (until its lag series reaches 0), each shard's share of the events, and the CPU cost per event of the
/// processor and of nats-server.
/// </summary>
public static class ShardedStreamsRow
{
    private sealed record Run(
        int Streams, int Shards, IReadOnlyList<long> PerShard, double AppendEventsPerSecond, double AppendMessagesPerSecond, double DrainEventsPerSecond,
        IReadOnlyList<(string Stream, long Events, double EventsPerSecond)> PerStream,
        double ProcessorCpuMicrosPerEvent, double NatsCpuMicrosPerEvent, double AppendNatsCpuMicrosPerEvent, double Load);

    public static async Task RunAsync(Suite suite)
    {
        var pg = await suite.PostgresAsync();
        var events = suite.Quick ? 200_000 : 600_000;
        var runs = new List<Run>();
        foreach (var (streams, shards) in new[] { (1, 1), (3, 1), (1, 2), (3, 2) })
        {
            runs.Add(await RunOneAsync(suite, pg, streams, shards, events));
        }

        var sb = new StringBuilder();
        sb.AppendLine($"{F(events)} realistic events (200,000 active sessions: each session about once in a batch) in 100-event batches are appended with the queue's own `AppendAsync` (16 concurrent appenders, `Queue:Streams=S`: each batch split by member into one message per stream) to a fresh nats-server 2.9 (R1, file storage); then one processor process (`Roles=processor`, the same S) drains every stream into PostgreSQL: one database (N = 1) or two shards (N = 2, `Store:Shards`: two databases of the same loopback server, so the row shows the split and its cost, not a second server's capacity). Drain rate = events processed between the first scrape after the processor is ready and the scrape that finds the backlog done; a stream's rate = its events ÷ the time until its `vh_queue_lag_events{{stream}}` series reached 0. CPU = user+system time of the process over the phase (/proc), per event. This machine has 2 cores shared by the processor, nats-server, PostgreSQL and the harness: more streams cannot raise the absolute rate here; what the row shows is the split (each stream carrying its share) and what S costs per event. On a cluster each stream has its own leader, so the queue's ceiling grows with the nodes that lead streams.");
        sb.AppendLine();
        sb.AppendLine("| S | N | append events/s | append messages/s | nats CPU µs/event (append) | drain events/s | per stream: events, drain events/s | events per shard | processor CPU µs/event | nats CPU µs/event (drain) | load |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|");
        foreach (var r in runs)
        {
            var split = string.Join("; ", r.PerStream.Select(s => $"{s.Stream}: {F(s.Events)}, {F(s.EventsPerSecond)}"));
            sb.AppendLine($"| {r.Streams} | {r.Shards} | {F(r.AppendEventsPerSecond)} | {F(r.AppendMessagesPerSecond)} | {F(r.AppendNatsCpuMicrosPerEvent, 1)} | **{F(r.DrainEventsPerSecond)}** | {split} | {string.Join(" / ", r.PerShard.Select(n => F(n)))} | {F(r.ProcessorCpuMicrosPerEvent, 1)} | {F(r.NatsCpuMicrosPerEvent, 1)} | {F(r.Load, 1)} |");
        }

        suite.Report.Add("row10_streams", "10. Sharded streams and store: Queue:Streams 1 and 3 on one nats-server, one processor into 1 or 2 PostgreSQL shards", sb.ToString(), new
        {
            events,
            runs = runs.Select(r => new
            {
                streams = r.Streams,
                shards = r.Shards,
                events_per_shard = r.PerShard,
                append_events_per_s = r.AppendEventsPerSecond,
                append_messages_per_s = r.AppendMessagesPerSecond,
                drain_events_per_s = r.DrainEventsPerSecond,
                per_stream = r.PerStream.Select(s => new { stream = s.Stream, events = s.Events, drain_events_per_s = s.EventsPerSecond }),
                processor_cpu_us_per_event = r.ProcessorCpuMicrosPerEvent,
                nats_cpu_us_per_event_drain = r.NatsCpuMicrosPerEvent,
                nats_cpu_us_per_event_append = r.AppendNatsCpuMicrosPerEvent,
                load = r.Load,
            }),
        });
    }

    private static async Task<Run> RunOneAsync(Suite suite, PostgresServer pg, int streams, int shards, long events)
    {
        await using var nats = await NatsServer.StartNewAsync();
        var natsPid = nats.Pid ?? throw new InvalidOperationException("nats-server is not running.");
        var options = new JetStreamQueueOptions { Url = nats.Url, Streams = streams };
        var perStream = new long[streams];
        var perShard = new long[shards];
        var workload = new Workload($"s{streams}", 200_000);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long messages = 0;
        var natsCpu0 = CpuSeconds(natsPid);
        var fill = Stopwatch.StartNew();
        await using (var queue = new JetStreamEventQueue(options))
        {
            await queue.InitializeAsync(CancellationToken.None);
            long next = 0;
            await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                long first;
                while ((first = Interlocked.Add(ref next, 100) - 100) < events)
                {
                    var batch = new AcceptedBatch(now, [.. Enumerable.Range(0, 100).Select(k => workload.Event(first + k, now))]);
                    foreach (var e in batch.Events)
                    {
                        Interlocked.Increment(ref perShard[MemberHash.Partition(e.MemberId, shards)]);
                    }

                    foreach (var (stream, part, _) in StreamLayout.Split(batch, streams))
                    {
                        Interlocked.Add(ref perStream[stream], part.Events.Count);
                        Interlocked.Increment(ref messages);
                    }

                    await queue.AppendAsync(batch, CancellationToken.None);
                }
            })));
        }

        var appendSeconds = fill.Elapsed.TotalSeconds;
        var appendNatsCpu = CpuSeconds(natsPid) - natsCpu0;
        var databases = new List<string>();
        for (var i = 0; i < shards; i++)
        {
            databases.Add(await pg.CreateDatabaseAsync($"streams{streams}n{shards}s{i}"));
        }

        (string, string)[] store = shards == 1
            ? [("Store:ConnectionString", databases[0])]
            : [.. databases.Select((d, i) => ($"Store:Shards:{i}", d))];
        await using var processor = await Children.StartServerAsync(
            suite.NewDataDir("streams"),
            [("Queue:Kind", "jetstream"), ("Queue:Url", nats.Url), ("Queue:Streams", streams.ToString(CultureInfo.InvariantCulture)),
             ("Queue:StatsRefreshInterval", "00:00:00.250"), ("Store:Kind", "postgres"), ("Roles", "processor"), .. store]);
        var clock = Stopwatch.StartNew();
        var first = await Metrics.ScrapeAsync(processor.BaseAddress, clock);
        var (procCpu0, natsCpuDrain0) = (CpuSeconds(processor.Pid), CpuSeconds(natsPid));
        var drainedAt = new Dictionary<string, double>(StringComparer.Ordinal);
        var last = first;
        var deadline = clock.Elapsed + suite.Seconds(120, 300);
        while ((last.Processed < events || drainedAt.Count < streams) && clock.Elapsed < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100));
            last = await Metrics.ScrapeAsync(processor.BaseAddress, clock);
            foreach (var (stream, lag) in last.ByLabel("vh_queue_lag_events", "stream"))
            {
                if (lag == 0 && last.Processed > first.Processed)
                {
                    drainedAt.TryAdd(stream, last.At.TotalSeconds - first.At.TotalSeconds);
                }
            }
        }

        var seconds = (last.At - first.At).TotalSeconds;
        var drained = last.Processed - first.Processed;
        var (procCpu, natsCpu) = (CpuSeconds(processor.Pid) - procCpu0, CpuSeconds(natsPid) - natsCpuDrain0);
        var split = Enumerable.Range(0, streams)
            .Select(i => (options.StreamNameOf(i), perStream[i], drainedAt.TryGetValue(options.StreamNameOf(i), out var t) && t > 0 ? perStream[i] / t : double.NaN))
            .ToList();
        return new Run(
            streams, shards, perShard, events / appendSeconds, messages / appendSeconds, drained / seconds, split,
            procCpu / Math.Max(1, drained) * 1e6, natsCpu / Math.Max(1, drained) * 1e6, appendNatsCpu / events * 1e6, Children.LoadAverage());
    }

    /// <summary>User + system CPU seconds of process <paramref name="pid"/> so far (/proc/pid/stat, in clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");

        // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
