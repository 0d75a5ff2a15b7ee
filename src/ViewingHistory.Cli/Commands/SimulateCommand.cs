using System.CommandLine;
using System.Security.Cryptography;
using ViewingHistory.Cli.Simulation;

namespace ViewingHistory.Cli.Commands;

/// <summary>
/// <c>vh simulate</c>: a fleet of simulated members and devices playing titles against a running server, then a
/// verdict: does the server's history equal what CONTRACT.md says the accepted events and hides make?
/// Exit code 0 on a match, 1 on any difference, 2 when nothing could be checked.
/// </summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The server's base URL.", DefaultValueFactory = _ => "http://localhost:5080" };
        var dataDir = new Option<string>("--data-dir") { Description = "The server's data directory, to read generated keys from credentials.json.", DefaultValueFactory = _ => "data" };
        var ingestKey = new Option<string?>("--ingest-key") { Description = "Ingest key; default: ingestKey in <data-dir>/credentials.json." };
        var serviceKey = new Option<string?>("--service-key") { Description = "Service key (hides and the verdict's reads); default: serviceKey in <data-dir>/credentials.json." };
        var members = new Option<int>("--members") { Description = "Simulated members (profiles), each with one or two devices.", DefaultValueFactory = _ => 50 };
        var rate = new Option<double>("--rate") { Description = "Target events per second, before bursts.", DefaultValueFactory = _ => 200 };
        var duration = new Option<string>("--duration") { Description = "How long to send: 30s, 2m, 00:01:00.", DefaultValueFactory = _ => "30s" };
        var batch = new Option<int>("--batch") { Description = "Events per request (1 to 500).", DefaultValueFactory = _ => 50 };
        var duplicates = new Option<double>("--duplicate-rate") { Description = "Share of events sent again later (0 to 1).", DefaultValueFactory = _ => 0.02 };
        var reorder = new Option<double>("--reorder-rate") { Description = "Share of events held back and sent in a later batch (0 to 1).", DefaultValueFactory = _ => 0.05 };
        var burst = new Option<string?>("--burst") { Description = "Bursts: MULTIPLIERx/PERIOD, e.g. 5x/15s (five times the rate for a fifth of every 15 s)." };
        var seed = new Option<int?>("--seed") { Description = "Seed of the simulation (default: random, printed)." };
        var hides = new Option<bool>("--hides") { Description = "Also hide titles and whole histories during the run (checked by the verdict)." };
        var settle = new Option<string>("--settle") { Description = "How long to wait at the end for the history to match the model.", DefaultValueFactory = _ => "60s" };
        var concurrency = new Option<int>("--concurrency") { Description = "Ingest requests in flight at once.", DefaultValueFactory = _ => 4 };
        var prefix = new Option<string?>("--prefix") { Description = "Prefix of the run's member, session and event ids (default: sim-<random>)." };
        var plain = new Option<bool>("--plain") { Description = "Plain progress lines instead of the live table (automatic when output is redirected)." };

        var command = new Command("simulate", "Drive a running server with a fleet of simulated devices, then check its history against the contract's model.")
        {
            url, dataDir, ingestKey, serviceKey, members, rate, duration, batch, duplicates, reorder, burst, seed, hides, settle, concurrency, prefix, plain,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var credentials = CredentialsFile.Read(parse.GetValue(dataDir)!);
            var errors = new List<string>();
            var ingest = parse.GetValue(ingestKey) ?? credentials.IngestKey;
            var service = parse.GetValue(serviceKey) ?? credentials.ServiceKey;
            if (string.IsNullOrEmpty(ingest) || string.IsNullOrEmpty(service))
            {
                errors.Add("No keys: pass --ingest-key and --service-key, or point --data-dir at the server's data directory.");
            }

            if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var baseUrl))
            {
                errors.Add("--url must be an absolute URL such as http://localhost:5080.");
            }

            if (!DurationText.TryParse(parse.GetValue(duration)!, out var runFor) || runFor <= TimeSpan.Zero)
            {
                errors.Add("--duration must be a duration such as 30s or 2m.");
            }

            if (!DurationText.TryParse(parse.GetValue(settle)!, out var settleFor))
            {
                errors.Add("--settle must be a duration such as 60s.");
            }

            BurstSpec? bursts = null;
            if (parse.GetValue(burst) is { } burstText && !BurstSpec.TryParse(burstText, out bursts))
            {
                errors.Add("--burst must look like 5x/15s.");
            }

            var prefixValue = parse.GetValue(prefix) ?? $"sim-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2))}";
            if (prefixValue.Length > 24 || !prefixValue.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                errors.Add("--prefix must be at most 24 characters of A-Z, a-z, 0-9, '-', '_', '.', ':'.");
            }

            if (parse.GetValue(batch) is < 1 or > 500 || parse.GetValue(members) < 1 || parse.GetValue(rate) <= 0 || parse.GetValue(concurrency) < 1 ||
                parse.GetValue(duplicates) is < 0 or > 1 || parse.GetValue(reorder) is < 0 or > 1)
            {
                errors.Add("--batch is 1 to 500; --members, --rate and --concurrency are positive; the rates are 0 to 1.");
            }

            if (errors.Count > 0)
            {
                errors.ForEach(Console.Error.WriteLine);
                return 2;
            }

            var options = new SimulationOptions
            {
                Url = baseUrl!,
                IngestKey = ingest!,
                ServiceKey = service!,
                Members = parse.GetValue(members),
                Rate = parse.GetValue(rate),
                Duration = runFor,
                Batch = parse.GetValue(batch),
                DuplicateRate = parse.GetValue(duplicates),
                ReorderRate = parse.GetValue(reorder),
                Burst = bursts,
                Seed = parse.GetValue(seed) ?? Random.Shared.Next(),
                Hides = parse.GetValue(hides),
                Settle = settleFor,
                Concurrency = parse.GetValue(concurrency),
                Prefix = prefixValue,
                Plain = parse.GetValue(plain) || Console.IsOutputRedirected,
            };
            try
            {
                return await new SimulationRunner(options).RunAsync(cancellationToken);
            }
            catch (InvalidOperationException ex)
            {
                Console.Error.WriteLine(ex.Message);
                return 2;
            }
        });
        return command;
    }
}
