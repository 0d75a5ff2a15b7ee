using ViewingHistory.Benchmarks;
using ViewingHistory.Benchmarks.Harness;

// The benchmark suite (issue 9). Usage from the repository root:
//   dotnet run -c Release --project benchmarks/ViewingHistory.Benchmarks [-- --quick] [--rows 1,3,5] [--out benchmarks]
// Subcommands used by the suite itself as child processes: "noop" (the ceiling server) and "load" (the load generator);
// "store-apply [--seconds N] [--batch B] [--active A] [--store sqlite|postgres] [--row-cache N]" runs the contract-writes ceiling and
// the store-alone measurement of row 3 by themselves, to profile it (e.g. under perf or dotnet-trace); --active 200000 is the realistic workload, and
// postgres starts a throwaway server.
// "server-cost [--rate R] [--warm W] [--seconds S] [--active A] [--set K=V]... [--env K=V]... [--perf FILE]" runs a server under a fixed
// load and reports its CPU per event by thread (Harness/ServerCost.cs): the way to compare changes on a shared machine.
if (args.Length > 0 && args[0] is "server-cost")
{
    return await ServerCost.RunAsync(args);
}

if (args.Length > 0 && args[0] is "store-apply")
{
    var inv = System.Globalization.CultureInfo.InvariantCulture;
    string Option(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    var seconds = double.Parse(Option("--seconds", "10"), inv);
    var batch = int.Parse(Option("--batch", "8000"), inv);
    var active = int.Parse(Option("--active", "2000"), inv);
    var rowCache = int.Parse(Option("--row-cache", ViewingHistory.Store.Sqlite.SqliteHistoryStore.DefaultRowCacheItems.ToString(inv)), inv);
    var workload = new Workload("c" + Environment.ProcessId.ToString(inv), active);
    if (Option("--store", "sqlite") == "postgres")
    {
        await using var pg = new ViewingHistory.Testing.PostgresServer();
        await pg.InitializeAsync();
        Console.WriteLine($"contract writes: {await ViewingHistory.Benchmarks.Rows.RawContractWrites.PostgresAsync(await pg.CreateDatabaseAsync("rawc"), workload, TimeSpan.FromSeconds(3)):N0} sessions/s");
        await using var store = new ViewingHistory.Store.Postgres.PostgresHistoryStore(await pg.CreateDatabaseAsync("apply"));
        Console.WriteLine(await ViewingHistory.Benchmarks.Rows.StoreApply.RunAsync(store, TimeSpan.FromSeconds(seconds), active, batch));
        return 0;
    }

    var raw = Path.Combine(Path.GetTempPath(), $"vh-store-raw-{Environment.ProcessId}.db");
    for (var round = 0; round < 2; round++)
    {
        // Twice: the first round runs while the JIT is still tiering up. CPU per session is what a loaded machine keeps.
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var rate = await ViewingHistory.Benchmarks.Rows.RawContractWrites.SqliteAsync(raw + round.ToString(inv), workload with { Run = workload.Run + round.ToString(inv) }, TimeSpan.FromSeconds(3));
        var used = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / (rate * clock.Elapsed.TotalSeconds);
        Console.WriteLine($"contract writes: {rate:N0} sessions/s, {used:N1} µs of CPU per session");
    }

    var db = Path.Combine(Path.GetTempPath(), $"vh-store-apply-{Environment.ProcessId}.db");
    await using (var store = new ViewingHistory.Store.Sqlite.SqliteHistoryStore(db, rowCacheItems: rowCache))
    {
        var r = await ViewingHistory.Benchmarks.Rows.StoreApply.RunAsync(store, TimeSpan.FromSeconds(seconds), active, batch);
        Console.WriteLine(r);
        Console.WriteLine($"managed heap with the store's row cache as it is: {GC.GetTotalMemory(forceFullCollection: true) / 1e6:N0} MB");
    }

    foreach (var f in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(db) + "*").Concat(Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(raw) + "*")))
    {
        File.Delete(f);
    }

    return 0;
}

if (args.Length > 0 && args[0] is "noop" or "load")
{
    var options = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 1; i + 1 < args.Length; i += 2)
    {
        options[args[i].TrimStart('-')] = args[i + 1];
    }

    return args[0] == "noop" ? await NoopServer.RunAsync(options) : await LoadGenerator.RunAsync(options);
}

return await Suite.RunAsync(args);
