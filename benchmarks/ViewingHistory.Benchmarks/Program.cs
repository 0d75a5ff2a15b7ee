using ViewingHistory.Benchmarks;
using ViewingHistory.Benchmarks.Harness;

// The benchmark suite (issue 9). Usage from the repository root:
//   dotnet run -c Release --project benchmarks/ViewingHistory.Benchmarks [-- --quick] [--rows 1,3,5] [--out benchmarks]
// Subcommands used by the suite itself as child processes: "noop" (the ceiling server) and "load" (the load generator).
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
