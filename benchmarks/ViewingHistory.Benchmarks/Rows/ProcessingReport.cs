using System.Text;
using static ViewingHistory.Benchmarks.Harness.Report;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>Row 3's markdown and JSON (<see cref="ProcessingRow"/>).</summary>
public static class ProcessingReport
{
    public static string Markdown(ProcessingRow.Part realistic, ProcessingRow.Part heavy)
    {
        var sb = new StringBuilder();
        sb.AppendLine("Two workloads (DESIGN.md, \"Realistic workloads\"), 100 events per entry or request, one progress heartbeat per event, a new session every 60 heartbeats of a slot, two sessions per member:");
        sb.AppendLine();
        sb.AppendLine($"- **realistic**: {F(realistic.Active)} sessions playing at once, visited round-robin, so every event of a processor batch is a different session (~1 event per row write), as in a large fleet;");
        sb.AppendLine($"- **heartbeat-heavy**: {F(heavy.Active)} sessions, so a batch holds several heartbeats of each session and coalescing hides the per-row cost.");
        sb.AppendLine();
        sb.AppendLine("Ceilings, measured in this run for each workload with its own keys:");
        sb.AppendLine();
        sb.AppendLine("- **contract writes** (the fair ceiling, DESIGN.md \"The ceiling of the store write path\"): exactly what the contract forces per changed session, a session upsert, an item upsert and a change append, batched 1,000 sessions per transaction into the store's own schema with its durability (SQLite: WAL, synchronous=FULL, prepared statements; PostgreSQL: three unnest-array statements in one transaction); no reads, no merge;");
        sb.AppendLine("- **one-row upserts**: one session-shaped row per key, new keys, 1,000 per transaction (SQLite: synchronous=NORMAL), the ceiling of the earlier rounds.");
        sb.AppendLine();
        Part(sb, realistic);
        Part(sb, heavy);
        return sb.ToString();
    }

    private static void Part(StringBuilder sb, ProcessingRow.Part p)
    {
        var c = p.Ceilings;
        var realistic = p.Key == "realistic";
        sb.AppendLine($"### {(realistic ? "Realistic workload" : "Heartbeat-heavy workload")} ({F(p.Active)} sessions at once)");
        sb.AppendLine();
        sb.AppendLine($"Ceilings (load {F(c.Load, 1)}): contract writes SQLite **{F(c.ContractSqlite)} sessions/s** (the higher of {F(c.ContractSqliteFirst)} at the start and a second measurement before the steady stream), PostgreSQL **{F(c.ContractPostgres)} sessions/s**; one-row upserts SQLite {F(c.OneRowSqlite)} rows/s, PostgreSQL {F(c.OneRowPostgres)} rows/s (contract ÷ one-row: SQLite {F(c.ContractSqlite / c.OneRowSqlite, 2)}, PostgreSQL {F(c.ContractPostgres / c.OneRowPostgres, 2)}).");
        sb.AppendLine();
        sb.AppendLine("The store alone (`ApplyAsync` in the benchmark process, batches of 8,000 events reduced to sessions, one caller; CPU of the whole process per session):");
        sb.AppendLine();
        sb.AppendLine("| store | events/s | sessions/s | events/session | ms per batch | CPU µs per session | sessions/s ÷ contract | sessions/s ÷ one-row |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (store, a) in new[] { ("SQLite", p.ApplySqlite), ("PostgreSQL", p.ApplyPostgres) })
        {
            sb.AppendLine($"| {store} | {F(a.EventsPerSecond)} | {F(a.SessionsPerSecond)} | {F(a.Coalescing, 1)} | {F(a.MeanBatchMs, 1)} | {F(a.CpuMicrosecondsPerSession, 1)} | {F(a.SessionsPerSecond / p.Contract(store), 2)} | {F(a.SessionsPerSecond / p.OneRow(store), 2)} |");
        }

        sb.AppendLine();
        sb.AppendLine("Backlog: the events appended straight into the server's embedded log (100 per entry, the queue's own `AppendAsync`) before it starts; the processor drains them with no ingest beside it, from the first /metrics scrape (the server is ready) until the lag is zero.");
        sb.AppendLine();
        sb.AppendLine("| store | workers | max batch events | backlog when ready | drain events/s | drain session rows/s | events per row write | **drain rows/s ÷ contract** | drain events/s ÷ one-row | drain s | load |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var b in p.Backlogs)
        {
            var r = b.R;
            sb.AppendLine($"| {b.Store} | {b.Workers} | {F(b.Batch)} | {F(r.Backlog)} | {F(r.DrainEventsPerSecond)} | {F(r.DrainRowsPerSecond)} | {F(r.Coalescing, 2)} | **{F(r.DrainRowsPerSecond / p.Contract(b.Store), 2)}** | {F(r.DrainEventsPerSecond / p.OneRow(b.Store), 2)} | {F(r.DrainSeconds, 1)} | {F(r.Load, 1)} |");
        }

        sb.AppendLine();
        var warm = string.Join(", ", p.WarmSeconds.Select(w => $"{w.Key} {F(w.Value)} s"));
        sb.AppendLine($"Steady stream (open loop, 100-event requests, default settings) on a warmed server (open-loop slices at half the first rate until the tiered JIT used under 5 % of a core and the processor kept up, then the lag drained: {warm}), starting at 0.9 × the store's drain rate, stepping down by 0.8 until the lag stays bounded (below 2 s of events at the end, and at least 97 % of the ingested events processed), then halving the gap to the lowest rate that was not, to 1,000 events/s (at most 5 steps):");
        sb.AppendLine();
        sb.AppendLine("| store | offered events/s | seconds | ingested events/s | processed events/s | processed rows/s | events per row write | lag end | lag max | errors | bounded | **rows/s ÷ contract** | events/s ÷ one-row | load |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
        foreach (var (store, s) in p.Steadies)
        {
            var rows = s.ProcessedPerSecond / s.Coalescing;
            sb.AppendLine($"| {store} | {F(s.Rate)} | {F(s.Seconds)} | {F(s.IngestedPerSecond)} | {F(s.ProcessedPerSecond)} | {F(rows)} | {F(s.Coalescing, 2)} | {F(s.LagEnd)} | {F(s.LagMax)} | {F(s.Errors)} | {(s.Bounded ? "yes" : "no")} | **{F(rows / p.Contract(store), 2)}** | {F(s.ProcessedPerSecond / p.OneRow(store), 2)} | {F(s.Load, 1)} |");
        }

        sb.AppendLine();
        foreach (var (store, sustained) in new[] { ("SQLite", p.SustainedSqlite), ("PostgreSQL", p.SustainedPostgres) })
        {
            if (!double.IsNaN(sustained))
            {
                // The ratio is of what the processor wrote at that step, not of the rate offered. Issue 14's goal is the
                // realistic workload's; the heartbeat-heavy one coalesces, so its rows per second say less.
                var target = p.Name == "realistic" ? "target ≥ 0.5" : "for comparison: the ≥ 0.5 target is the realistic workload's";
                var step = p.Steadies.Where(s => s.Store == store && s.R.Bounded).MaxBy(s => s.R.Rate)?.R;
                if (step is null)
                {
                    sb.AppendLine($"**Sustained capacity ({store}, {p.Name}): no step kept the lag bounded** (taken as {F(sustained)} events/s for the rows that follow).");
                }
                else
                {
                    var rows = step.ProcessedPerSecond / step.Coalescing;
                    sb.AppendLine($"**Sustained capacity ({store}, {p.Name}): {F(sustained)} events/s offered, {F(step.ProcessedPerSecond)} processed ≈ {F(rows)} session rows/s = {F(rows / p.Contract(store), 2)} × the contract-writes ceiling** ({target}); {F(step.ProcessedPerSecond / p.OneRow(store), 2)} × the one-row ceiling.");
                }

                sb.AppendLine();
            }
        }
    }

    public static object Json(ProcessingRow.Part p) => new
    {
        active_sessions = p.Active,
        ceilings = p.Ceilings,
        apply_sqlite = p.ApplySqlite,
        apply_postgres = p.ApplyPostgres,
        backlog = p.Backlogs.Select(b => new
        {
            store = b.Store, workers = b.Workers, batch = b.Batch, b.R.DrainEventsPerSecond, b.R.DrainRowsPerSecond, b.R.Coalescing,
            ratio_contract = b.R.DrainRowsPerSecond / p.Contract(b.Store), ratio_one_row = b.R.DrainEventsPerSecond / p.OneRow(b.Store), b.R.DrainSeconds, b.R.Load,
        }),
        steady = p.Steadies.Select(s => new { store = s.Store, s.R.Rate, s.R.Seconds, s.R.IngestedPerSecond, s.R.ProcessedPerSecond, s.R.Coalescing, s.R.LagEnd, s.R.LagMax, s.R.Errors, s.R.Bounded, s.R.Load }),
        sustained_sqlite = p.SustainedSqlite,
        sustained_postgres = p.SustainedPostgres,
    };
}
