using ViewingHistory.Benchmarks;
using ViewingHistory.Benchmarks.Harness;

// The benchmark suite (issue 9). Usage from the repository root:
//   dotnet run -c Release --project benchmarks/ViewingHistory.Benchmarks [-- --quick] [--rows 1,3,5] [--out benchmarks]
// Subcommands used by the suite itself as child processes: "noop" (the ceiling server) and "load" (the load generator);
// "store-apply [--seconds N [--batch B]]" runs the store-alone measurement of row 3 on SQLite by itself, to profile it
// (e.g. under dotnet-trace).
if (args.Length > 0 && args[0] is "store-apply")
{
    var seconds = args.Length > 2 && args[1] == "--seconds" ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10;
    var batch = args.Length > 4 && args[3] == "--batch" ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 4000;
    var db = Path.Combine(Path.GetTempPath(), $"vh-store-apply-{Environment.ProcessId}.db");
    await using (var store = new ViewingHistory.Store.Sqlite.SqliteHistoryStore(db))
    {
        var r = await ViewingHistory.Benchmarks.Rows.StoreApply.RunAsync(store, TimeSpan.FromSeconds(seconds), batch: batch);
        Console.WriteLine(r);
    }

    foreach (var f in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(db) + "*"))
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
