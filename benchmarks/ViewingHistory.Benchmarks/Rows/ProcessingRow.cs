using System.Text;
using ViewingHistory.Benchmarks.Harness;
using ViewingHistory.Store.Postgres;
using ViewingHistory.Store.Sqlite;
using static ViewingHistory.Benchmarks.Harness.Report;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// Row 3: processing from queue to store, on a backlog and on a steady stream, against raw batched upserts measured
/// here; the processor's worker count per store kind; and the sustained capacity later rows build on.
/// </summary>
public static class ProcessingRow
{
    public static async Task RunAsync(Suite suite)
    {
        var rawDuration = suite.Seconds(2, 6);
        // The ceiling is measured at the start and again at the end of the row, and the higher kept: on a shared
        // machine a ceiling measured in a bad moment would flatter every ratio.
        var rawSqlite = RawUpserts.Sqlite(Path.Combine(suite.NewDataDir("raw"), "raw.db"), rawDuration);
        var rawLoad = Children.LoadAverage();
        var pg = await suite.PostgresAsync();
        var rawPostgres = await RawUpserts.PostgresAsync(await pg.CreateDatabaseAsync("raw"), rawDuration);

        StoreApply.Result applySqlite;
        await using (var store = new SqliteHistoryStore(Path.Combine(suite.NewDataDir("apply"), "history.db")))
        {
            applySqlite = await StoreApply.RunAsync(store, rawDuration);
        }

        StoreApply.Result applyPostgres;
        await using (var store = new PostgresHistoryStore(await pg.CreateDatabaseAsync("apply")))
        {
            applyPostgres = await StoreApply.RunAsync(store, rawDuration);
        }

        var backlogEvents = suite.Quick ? 100_000 : 500_000;
        var timeout = suite.Seconds(90, 180);
        var backlogs = new List<(string Store, int Workers, int Batch, Drain.BacklogResult R, double Ceiling)>();
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var (workers, batch) in suite.Quick ? new[] { (1, 4000), (1, 16000) } : [(2, 4000), (1, 4000), (1, 16000)])
        {
            var dir = suite.NewDataDir("drain");
            var result = await Drain.BacklogAsync(
                () => Children.StartServerAsync(dir, ("Processor:Workers", workers.ToString(inv)), ("Processor:MaxBatchEvents", batch.ToString(inv))),
                dir,
                backlogEvents,
                $"b{workers}x{batch}",
                timeout);
            backlogs.Add(("SQLite", workers, batch, result, rawSqlite));
            suite.Shared.TryAdd("sqlite_bytes_per_million_events", Bytes(dir, "history.db*") / result.Events * 1e6);
            suite.Shared.TryAdd("queue_bytes_per_million_events", Bytes(Path.Combine(dir, "queue"), "*") / result.Events * 1e6);
        }

        foreach (var workers in suite.Quick ? Array.Empty<int>() : [1, 2, 4])
        {
            var (dir, database) = (suite.NewDataDir("drainpg"), await pg.CreateDatabaseAsync("drain"));
            var result = await Drain.BacklogAsync(
                () => Children.StartServerAsync(dir, ("Store:Kind", "postgres"), ("Store:ConnectionString", database), ("Processor:Workers", workers.ToString(inv)), ("Processor:MaxBatchEvents", "16000")),
                dir,
                backlogEvents,
                $"p{workers}",
                timeout);
            backlogs.Add(("PostgreSQL", workers, 16_000, result, rawPostgres));
        }

        var rawSqliteFirst = rawSqlite;
        rawSqlite = Math.Max(rawSqlite, RawUpserts.Sqlite(Path.Combine(suite.NewDataDir("raw"), "raw.db"), rawDuration));
        backlogs = [.. backlogs.Select(b => b.Store == "SQLite" ? b with { Ceiling = rawSqlite } : b)];

        // Sustained capacity (DESIGN.md): the highest offered rate at which the lag stays bounded with processors running.
        var best = backlogs.Where(b => b.Store == "SQLite").MaxBy(b => b.R.DrainEventsPerSecond)!;
        var steady = new List<Drain.SteadyResult>();
        await using (var server = await Children.StartServerAsync(suite.NewDataDir("steady")))
        {
            var rate = Math.Round(best.R.DrainEventsPerSecond * 0.9 / 1000) * 1000;
            rate = double.IsFinite(rate) && rate > 0 ? rate : 10_000;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var r = await Drain.SteadyAsync(server, rate, suite.Seconds(10, 60), $"s{attempt}");
                steady.Add(r);
                if (r.Bounded)
                {
                    break;
                }

                await Drain.SettleAsync(server, TimeSpan.FromSeconds(120));
                rate = Math.Round(rate * 0.75 / 1000) * 1000;
            }
        }

        var sustained = steady.LastOrDefault(s => s.Bounded)?.Rate ?? steady[^1].Rate * 0.75;
        suite.Shared["sustained_events_per_s"] = sustained;
        suite.Shared["raw_sqlite_rows_per_s"] = rawSqlite;
        suite.Shared["raw_postgres_rows_per_s"] = rawPostgres;
        Plots.Lines(Path.Combine(suite.Report.Directory, "processing-backlog.png"), $"Backlog drain (SQLite, {best.Workers} worker(s), batches of {best.Batch} events)", "seconds", "events",
            [("processed", best.R.Samples.Select(s => (s.T, s.Processed)).ToList()), ("queue lag", best.R.Samples.Select(s => (s.T, s.Lag)).ToList())]);

        var sb = new StringBuilder();
        sb.AppendLine("Workload: heartbeat-heavy, 2,000 sessions playing at once (two per member), visited round-robin, one progress heartbeat per event, a new session every 60 heartbeats; 100-event requests.");
        sb.AppendLine();
        sb.AppendLine("Ceilings measured in this run (session-shaped rows, new keys, 1,000 per transaction, no reads, no items, no feed):");
        sb.AppendLine();
        sb.AppendLine($"- raw SQLite upserts (WAL, synchronous=NORMAL, prepared statement): **{F(rawSqlite)} rows/s** (the higher of {F(rawSqliteFirst)} at the row's start, load {F(rawLoad, 1)}, and a second measurement before the steady stream)");
        sb.AppendLine($"- raw PostgreSQL upserts (unnest arrays, 1,000 per statement): **{F(rawPostgres)} rows/s**");
        sb.AppendLine();
        sb.AppendLine("The store alone (`ApplyAsync` in the benchmark process, batches of 4,000 events reduced to sessions, one caller):");
        sb.AppendLine();
        sb.AppendLine("| store | events/s | sessions/s | events/session | ms per batch | sessions/s ÷ raw rows/s |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|");
        sb.AppendLine($"| SQLite | {F(applySqlite.EventsPerSecond)} | {F(applySqlite.SessionsPerSecond)} | {F(applySqlite.Coalescing, 1)} | {F(applySqlite.MeanBatchMs, 1)} | {F(applySqlite.SessionsPerSecond / rawSqlite, 2)} |");
        sb.AppendLine($"| PostgreSQL | {F(applyPostgres.EventsPerSecond)} | {F(applyPostgres.SessionsPerSecond)} | {F(applyPostgres.Coalescing, 1)} | {F(applyPostgres.MeanBatchMs, 1)} | {F(applyPostgres.SessionsPerSecond / rawPostgres, 2)} |");
        sb.AppendLine();
        sb.AppendLine($"Backlog: {F(backlogEvents)} heartbeat events appended straight into the server's embedded log (100 per entry, with the queue's own `AppendAsync`) before it starts; the processor then drains them with no ingest beside it, measured from the first /metrics scrape (the server is ready) until the lag is zero. (The embedded queue refuses split roles, and on these cores ingest does not outrun the processor by enough to build a backlog: see the steady stream below.)");
        sb.AppendLine();
        sb.AppendLine("| store | workers | max batch events | backlog when ready | drain events/s | drain session rows/s | events per row write | drain events/s ÷ raw rows/s | drain s | load |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (store, workers, batch, r, ceiling) in backlogs)
        {
            sb.AppendLine($"| {store} | {workers} | {F(batch)} | {F(r.Backlog)} | {F(r.DrainEventsPerSecond)} | {F(r.DrainRowsPerSecond)} | {F(r.Coalescing, 2)} | **{F(r.DrainEventsPerSecond / ceiling, 2)}** | {F(r.DrainSeconds, 1)} | {F(r.Load, 1)} |");
        }

        sb.AppendLine();
        sb.AppendLine("Steady stream (open loop, 100-event requests, SQLite, default workers), starting at 0.9 × the best SQLite drain rate and stepping down by 0.75 until the lag stays bounded (below 2 s of events at the end):");
        sb.AppendLine();
        sb.AppendLine("| offered events/s | seconds | ingested events/s | processed events/s | events per row write | lag start | lag end | lag max | errors | bounded | processed ÷ raw SQLite rows/s | load |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
        foreach (var s in steady)
        {
            sb.AppendLine($"| {F(s.Rate)} | {F(s.Seconds)} | {F(s.IngestedPerSecond)} | {F(s.ProcessedPerSecond)} | {F(s.Coalescing, 2)} | {F(s.LagStart)} | {F(s.LagEnd)} | {F(s.LagMax)} | {F(s.Errors)} | {(s.Bounded ? "yes" : "no")} | {F(s.ProcessedPerSecond / rawSqlite, 2)} | {F(s.Load, 1)} |");
        }

        sb.AppendLine();
        sb.AppendLine($"**Sustained capacity (SQLite): {F(sustained)} events/s = {F(sustained / rawSqlite, 2)} × the raw SQLite upsert ceiling** (target ≥ 0.5). Plot: `processing-backlog.png` (the SQLite backlog with the best drain rate).");
        suite.Report.Add("row3_processing", "3. Processing: queue to store against raw batched upserts", sb.ToString(), new
        {
            raw_sqlite_rows_per_s = rawSqlite,
            raw_postgres_rows_per_s = rawPostgres,
            apply_sqlite = applySqlite,
            apply_postgres = applyPostgres,
            backlog = backlogs.Select(b => new { store = b.Store, workers = b.Workers, batch = b.Batch, b.R.IngestEventsPerSecond, b.R.WhileIngestingEventsPerSecond, b.R.DrainEventsPerSecond, b.R.DrainRowsPerSecond, b.R.Coalescing, ratio = b.R.DrainEventsPerSecond / b.Ceiling, b.R.DrainSeconds, b.R.Load }),
            steady = steady.Select(s => new { s.Rate, s.Seconds, s.IngestedPerSecond, s.ProcessedPerSecond, s.Coalescing, s.LagStart, s.LagEnd, s.LagMax, s.Errors, s.Bounded, s.Load }),
            sustained_events_per_s = sustained,
        });
    }

    private static double Bytes(string dir, string pattern) =>
        Directory.Exists(dir) ? Directory.EnumerateFiles(dir, pattern, SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : double.NaN;
}
