using System.Diagnostics;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using ViewingHistory.Benchmarks.Harness;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using static ViewingHistory.Benchmarks.Harness.Report;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// Row 8: JetStream + PostgreSQL with roles split: one ingest+api process, then 1, 2 and 3 processor processes
/// draining the same backlog, against raw JetStream publish and raw PostgreSQL upserts measured here.
/// </summary>
public static class DistributedRow
{
    public static async Task RunAsync(Suite suite)
    {
        var pg = await suite.PostgresAsync();
        var rawPg = suite.Shared.TryGetValue("raw_postgres_rows_per_s", out var v) ? v : await RawUpserts.PostgresAsync(await pg.CreateDatabaseAsync("raw8"), suite.Seconds(3, 6));
        double rawPublish;
        await using (var nats = await NatsServer.StartNewAsync())
        {
            rawPublish = await RawPublishAsync(nats.Url, suite.Seconds(3, 6));
        }

        var events = suite.Quick ? 100_000 : 600_000;
        var rows = new List<(int Processors, double IngestEventsPerSecond, double IngestRequestsPerSecond, double DrainEventsPerSecond, double Coalescing, double DoneAtStart, double Load)>();
        foreach (var processors in suite.Quick ? new[] { 1 } : [1, 2, 3])
        {
            await using var nats = await NatsServer.StartNewAsync();
            var database = await pg.CreateDatabaseAsync("dist");
            (string, string)[] common = [("Queue:Kind", "jetstream"), ("Queue:Url", nats.Url), ("Store:Kind", "postgres"), ("Store:ConnectionString", database)];
            await using var ingest = await Children.StartServerAsync(suite.NewDataDir("ingest"), [.. common, ("Roles", "ingest,api")]);
            var load = await Children.LoadAsync(ingest.BaseAddress, "0:300", 100, $"d{processors}", concurrency: 16, maxEvents: events);
            var accepted = load.Phases[0];
            var clock = Stopwatch.StartNew();
            var started = new List<ServerProcess>();
            try
            {
                // Started together, so that they share the backlog from the start.
                started.AddRange(await Task.WhenAll(Enumerable.Range(0, processors).Select(_ => Children.StartServerAsync(suite.NewDataDir("proc"), [.. common, ("Roles", "processor")]))));

                // The rate counts between the first scrape after every processor is ready (what they drained while
                // starting is left out of both the events and the time) and the scrape that finds the backlog done.
                async Task<(double T, double Processed, double Rows)> ScrapeAll()
                {
                    var scrapes = await Task.WhenAll(started.Select(p => Metrics.ScrapeAsync(p.BaseAddress, clock)));
                    return (clock.Elapsed.TotalSeconds, scrapes.Sum(m => m.Processed), scrapes.Sum(m => m.Rows));
                }

                var first = await ScrapeAll();
                var last = first;
                var deadline = clock.Elapsed + suite.Seconds(90, 240);
                while (last.Processed < accepted.Events && clock.Elapsed < deadline)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250));
                    last = await ScrapeAll();
                }

                var seconds = last.T - first.T;
                rows.Add((processors, accepted.EventsPerSecond, accepted.OkPerSecond, (last.Processed - first.Processed) / seconds, (last.Processed - first.Processed) / Math.Max(1, last.Rows - first.Rows), first.Processed / accepted.Events, Children.LoadAverage()));
            }
            finally
            {
                foreach (var p in started)
                {
                    await p.DisposeAsync();
                }
            }
        }

        var sb = new StringBuilder();
        sb.AppendLine($"One ingest+api process (`Roles=ingest,api`, `Queue:Kind=jetstream`, nats-server 2.9 R1 in a temp dir) takes {F(events)} heartbeat events (16 concurrent 100-event requests) with no processor running; then 1..N processor processes (`Roles=processor`) start and drain the stream into PostgreSQL. Drain rate = events processed (summed over the processors' /metrics) between the first scrape after every processor is ready and the scrape that finds the backlog done, ÷ that time; \"drained while starting\" is the share processed before that first scrape, left out.");
        sb.AppendLine();
        sb.AppendLine($"Ceilings in this run: raw JetStream publish (1 KB messages, acks awaited in windows of 1,000): **{F(rawPublish)} msgs/s**; raw PostgreSQL upserts: **{F(rawPg)} rows/s**.");
        sb.AppendLine();
        sb.AppendLine("| processors | ingest events/s (processors paused) | ingest messages/s ÷ raw publish | drained while starting | drain events/s | events per row write | drain events/s ÷ raw PostgreSQL rows/s | load |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            sb.AppendLine($"| {r.Processors} | {F(r.IngestEventsPerSecond)} | {F(r.IngestRequestsPerSecond / rawPublish, 2)} | {r.DoneAtStart:P0} | {F(r.DrainEventsPerSecond)} | {F(r.Coalescing, 2)} | **{F(r.DrainEventsPerSecond / rawPg, 2)}** | {F(r.Load, 1)} |");
        }

        suite.Report.Add("row8_distributed", "8. Distributed: JetStream + PostgreSQL, 1..3 processor processes", sb.ToString(), new
        {
            raw_jetstream_publish_msgs_per_s = rawPublish,
            raw_postgres_rows_per_s = rawPg,
            runs = rows.Select(r => new { processors = r.Processors, ingest_events_per_s = r.IngestEventsPerSecond, drain_events_per_s = r.DrainEventsPerSecond, coalescing = r.Coalescing, load = r.Load }),
        });
    }

    private static async Task<double> RawPublishAsync(string url, TimeSpan duration)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = url });
        var js = new NatsJSContext(connection);
        await js.CreateStreamAsync(new StreamConfig("RAW", ["raw.>"]) { Storage = StreamConfigStorage.File });
        var payload = new byte[1024];
        var clock = Stopwatch.StartNew();
        long sent = 0;
        while (clock.Elapsed < duration)
        {
            var window = new List<Task>(1000);
            for (var i = 0; i < 1000; i++)
            {
                window.Add(js.PublishAsync("raw.x", payload).AsTask());
            }

            await Task.WhenAll(window);
            sent += 1000;
        }

        return sent / clock.Elapsed.TotalSeconds;
    }
}
