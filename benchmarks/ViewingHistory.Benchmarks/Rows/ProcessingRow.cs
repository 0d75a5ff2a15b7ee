using ViewingHistory.Benchmarks.Harness;
using ViewingHistory.Store.Postgres;
using ViewingHistory.Store.Sqlite;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// Row 3: processing from queue to store, on a backlog and on a steady stream, against ceilings measured here, for two
/// workloads (DESIGN.md, "Realistic workloads"): the realistic one first (a large fleet, every event of a batch a
/// different session) and the heartbeat-heavy one (a few thousand sessions, batches coalesce several heartbeats per
/// row). Also the sustained capacities later rows build on.
/// </summary>
public static class ProcessingRow
{
    /// <summary>A large fleet: 200,000 sessions playing at once, so a batch of 16,000 events touches 16,000 sessions.</summary>
    public const int RealisticSessions = 200_000;

    /// <summary>The heartbeat-heavy workload of the first rounds: 2,000 sessions, ~7 heartbeats per session in a backlog batch.</summary>
    public const int HeavySessions = 2_000;

    public sealed record Ceilings(double OneRowSqlite, double OneRowPostgres, double ContractSqlite, double ContractPostgres, double ContractSqliteFirst, double Load);

    public sealed record Backlog(string Store, int Workers, int Batch, Drain.BacklogResult R);

    public sealed record Steady(string Store, Drain.SteadyResult R);

    public sealed record Part(
        string Key, string Name, int Active, Ceilings Ceilings, StoreApply.Result ApplySqlite, StoreApply.Result ApplyPostgres,
        List<Backlog> Backlogs, List<Steady> Steadies, double SustainedSqlite, double SustainedPostgres, Dictionary<string, double> WarmSeconds)
    {
        public double Contract(string store) => store == "SQLite" ? Ceilings.ContractSqlite : Ceilings.ContractPostgres;

        public double OneRow(string store) => store == "SQLite" ? Ceilings.OneRowSqlite : Ceilings.OneRowPostgres;
    }

    public static async Task RunAsync(Suite suite)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var realistic = await RunPartAsync(suite, "realistic", "realistic", RealisticSessions,
            backlog: suite.Quick ? 100_000 : 600_000,
            backlogs: [("SQLite", 1, 16_000), ("PostgreSQL", 2, 16_000)], // each store's default workers, as the steady stream runs
            steadyStores: ["SQLite", "PostgreSQL"]);
        var heavy = await RunPartAsync(suite, "heavy", "heartbeat-heavy", HeavySessions,
            backlog: suite.Quick ? 100_000 : 500_000,
            backlogs: suite.Quick ? [("SQLite", 1, 16_000)] : [("SQLite", 1, 16_000), ("SQLite", 2, 16_000), ("PostgreSQL", 2, 16_000)],
            steadyStores: ["SQLite"]);

        // Rows 4 and 6 run at fractions of these.
        suite.Shared["sustained_events_per_s"] = heavy.SustainedSqlite;
        suite.Shared["sustained_realistic_events_per_s"] = realistic.SustainedSqlite;
        suite.Shared["raw_sqlite_rows_per_s"] = heavy.Ceilings.OneRowSqlite;
        suite.Shared["raw_postgres_rows_per_s"] = heavy.Ceilings.OneRowPostgres;
        var best = heavy.Backlogs.Where(b => b.Store == "SQLite").MaxBy(b => b.R.DrainEventsPerSecond)!;
        Plots.Lines(Path.Combine(suite.Report.Directory, "processing-backlog.png"), $"Backlog drain (heartbeat-heavy, SQLite, {best.Workers.ToString(inv)} worker(s))", "seconds", "events",
            [("processed", best.R.Samples.Select(s => (s.T, s.Processed)).ToList()), ("queue lag", best.R.Samples.Select(s => (s.T, s.Lag)).ToList())]);
        suite.Report.Add("row3_processing", "3. Processing: queue to store against the contract's writes and raw upserts", ProcessingReport.Markdown(realistic, heavy), new
        {
            realistic = ProcessingReport.Json(realistic),
            heavy = ProcessingReport.Json(heavy),
            sustained_events_per_s = heavy.SustainedSqlite,
            sustained_realistic_events_per_s = realistic.SustainedSqlite,
            raw_sqlite_rows_per_s = heavy.Ceilings.OneRowSqlite,
            raw_postgres_rows_per_s = heavy.Ceilings.OneRowPostgres,
        });
    }

    private static async Task<Part> RunPartAsync(
        Suite suite, string key, string name, int active, long backlog, (string Store, int Workers, int Batch)[] backlogs, string[] steadyStores)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var duration = suite.Seconds(2, 5);
        var pg = await suite.PostgresAsync();
        var workload = new Workload(key + "c" + Guid.NewGuid().ToString("N")[..6], active);
        var contractSqlite = await RawContractWrites.SqliteAsync(Path.Combine(suite.NewDataDir("rawc"), "raw.db"), workload, duration);
        var load = Children.LoadAverage();
        var contractPostgres = await RawContractWrites.PostgresAsync(await pg.CreateDatabaseAsync("rawc"), workload, duration);
        var oneRowSqlite = RawUpserts.Sqlite(Path.Combine(suite.NewDataDir("raw"), "raw.db"), duration);
        var oneRowPostgres = await RawUpserts.PostgresAsync(await pg.CreateDatabaseAsync("raw"), duration);

        StoreApply.Result applySqlite;
        await using (var store = new SqliteHistoryStore(Path.Combine(suite.NewDataDir("apply"), "history.db")))
        {
            applySqlite = await StoreApply.RunAsync(store, duration, active, batch: 8_000, suite.Seconds(8, 30));
        }

        StoreApply.Result applyPostgres;
        await using (var store = new PostgresHistoryStore(await pg.CreateDatabaseAsync("apply")))
        {
            applyPostgres = await StoreApply.RunAsync(store, duration, active, batch: 8_000, suite.Seconds(8, 30));
        }

        var results = new List<Backlog>();
        foreach (var (store, workers, batch) in backlogs)
        {
            var dir = suite.NewDataDir("drain");
            var settings = new List<(string, string)> { ("Processor:Workers", workers.ToString(inv)), ("Processor:MaxBatchEvents", batch.ToString(inv)) };
            if (store == "PostgreSQL")
            {
                settings.AddRange([("Store:Kind", "postgres"), ("Store:ConnectionString", await pg.CreateDatabaseAsync("drain"))]);
            }

            var r = await Drain.BacklogAsync(() => Children.StartServerAsync(dir, [.. settings]), dir, backlog, $"{key[0]}b{results.Count}", suite.Seconds(90, 180), active);
            results.Add(new Backlog(store, workers, batch, r));
            if (store == "SQLite" && key == "heavy")
            {
                suite.Shared.TryAdd("sqlite_bytes_per_million_events", Bytes(dir, "history.db*") / r.Events * 1e6);
                suite.Shared.TryAdd("queue_bytes_per_million_events", Bytes(Path.Combine(dir, "queue"), "*") / r.Events * 1e6);
            }
        }

        // The ceiling again, the higher kept: on a shared machine a ceiling measured in a bad moment flatters every ratio.
        var contractSqliteAgain = await RawContractWrites.SqliteAsync(Path.Combine(suite.NewDataDir("rawc"), "raw.db"), workload with { Run = workload.Run + "x" }, duration);

        // Sustained capacity (DESIGN.md): the highest offered rate at which the lag stays bounded with processors running.
        var steadies = new List<Steady>();
        var sustained = new Dictionary<string, double>();
        var warmSeconds = new Dictionary<string, double>();
        foreach (var store in steadyStores)
        {
            var settings = store == "PostgreSQL" ? new[] { ("Store:Kind", "postgres"), ("Store:ConnectionString", await pg.CreateDatabaseAsync("steady")) } : [];
            await using var server = await Children.StartServerAsync(suite.NewDataDir("steady"), settings);
            var rate = Math.Round(results.Where(b => b.Store == store).Select(b => b.R.DrainEventsPerSecond).DefaultIfEmpty(20_000).Max() * 0.9 / 1000) * 1000;
            rate = double.IsFinite(rate) && rate > 0 ? rate : 10_000;
            // Measured warm: the sustained rate is the steady state's; a fresh process's first seconds are row 9's.
            warmSeconds[store] = (await Drain.WarmAsync(server, rate * 0.5, $"{key[0]}w{store[0]}", active, suite.Seconds(30, 60))).Seconds;

            // Down by 0.8 from 0.9 x the drain rate until the lag stays bounded, then halving the gap to the lowest
            // rate that was not (to 1,000 events/s), at most 5 steps.
            double? bounded = null, unbounded = null;
            for (var attempt = 0; attempt < 5; attempt++)
            {
                var r = await Drain.SteadyAsync(server, rate, suite.Seconds(10, 60), $"{key[0]}s{store[0]}{attempt}", active);
                steadies.Add(new Steady(store, r));
                if (r.Bounded)
                {
                    bounded = Math.Max(bounded ?? 0, rate);
                }
                else
                {
                    unbounded = Math.Min(unbounded ?? double.MaxValue, rate);
                    await Drain.SettleAsync(server, TimeSpan.FromSeconds(120));
                }

                if (bounded is not { } low)
                {
                    rate = Math.Round(rate * 0.8 / 1000) * 1000;
                    continue;
                }

                var middle = unbounded is { } high ? Math.Round((low + high) / 2 / 1000) * 1000 : low;
                if (middle <= low || middle >= unbounded)
                {
                    break;
                }

                rate = middle;
            }

            var mine = steadies.Where(s => s.Store == store).ToList();
            sustained[store] = bounded ?? mine[^1].R.Rate * 0.8;
        }

        var ceilings = new Ceilings(oneRowSqlite, oneRowPostgres, Math.Max(contractSqlite, contractSqliteAgain), contractPostgres, contractSqlite, load);
        return new Part(key, name, active, ceilings, applySqlite, applyPostgres, results, steadies, sustained.GetValueOrDefault("SQLite", double.NaN), sustained.GetValueOrDefault("PostgreSQL", double.NaN), warmSeconds);
    }

    private static double Bytes(string dir, string pattern) =>
        Directory.Exists(dir) ? Directory.EnumerateFiles(dir, pattern, SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : double.NaN;
}
