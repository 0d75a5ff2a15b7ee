using System.Globalization;
using ViewingHistory.Testing;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests.Chaos;

/// <summary>
/// Issue 12, chaos on the embedded default: one real server process (FasterLog and SQLite, every role) under concurrent
/// clients, SIGKILLed at seeded random moments again and again and restarted on the same data dir. At the end every event
/// answered 202 is reflected exactly once, the change feed folds to the reads, and nothing was dead-lettered.
/// </summary>
public sealed class EmbeddedChaosTests(ITestOutputHelper output) : IDisposable
{
    private const string IngestKey = "e2e-ingest-key-0123456789";
    private const string ServiceKey = "e2e-service-key-0123456789";
    private readonly TempDirectory _data = new("vh-chaos-embedded");

    [Fact]
    public async Task The_embedded_server_SIGKILLed_again_and_again_under_concurrent_clients_loses_nothing_and_counts_nothing_twice()
    {
        var chaos = ChaosSettings.FromEnvironment(TimeSpan.FromSeconds(45));
        var log = new ChaosLog(output);
        log.Write(chaos.Describe(nameof(EmbeddedChaosTests)));
        var random = new Random(chaos.Seed);
        var settings = new Dictionary<string, string>
        {
            ["DataDir"] = _data.Path,
            ["Auth:IngestKeys:0"] = IngestKey,
            ["Auth:ServiceKeys:0"] = ServiceKey,
            ["Auth:MemberTokenSecret"] = "e2e-member-token-secret-0123456789-abcdef",
        };

        ServerProcess? server = await ServerProcess.StartAsync(settings, readyTimeout: TimeSpan.FromSeconds(120));
        Uri? current = server.BaseAddress;
        log.Write($"server pid {server.Pid} ready on {server.BaseAddress}");
        var workload = new ChaosWorkload(
            new ChaosWorkloadOptions($"c{chaos.Seed.ToString(CultureInfo.InvariantCulture)}", chaos.Seed, IngestKey, ServiceKey, _ => Volatile.Read(ref current), _ => Volatile.Read(ref current)),
            log);
        try
        {
            using var stop = new CancellationTokenSource();
            var clients = workload.RunAsync(stop.Token, settleTimeout: TimeSpan.FromSeconds(90));

            // Faults begin once the clients are answered, so that the first kill meets work in flight.
            await Eventually.UntilAsync(() => Task.FromResult(workload.AcceptedRequests >= 20 || clients.IsCompleted), TimeSpan.FromSeconds(60), "the first 20 batches answered 202");
            var ends = log.Elapsed + chaos.Duration;
            var kills = 0;
            while (log.Elapsed < ends && !clients.IsCompleted)
            {
                // Mostly a few seconds of service, sometimes a kill right after the restart (recovery just done,
                // every client resending at once), sometimes a longer stretch that lets the log and the store grow.
                var uptime = TimeSpan.FromMilliseconds(random.Next(10) switch
                {
                    < 3 => random.Next(0, 500),
                    < 8 => random.Next(500, 4_000),
                    _ => random.Next(4_000, 8_000),
                });
                await Task.WhenAny(Task.Delay(uptime), clients);
                kills++;
                log.Write($"fault {kills}: SIGKILL pid {server.Pid} after {uptime.TotalMilliseconds:0} ms up; {workload.Summary()}");
                await server.KillAsync();
                Volatile.Write(ref current, null);
                await server.DisposeAsync();
                server = null;

                var downtime = TimeSpan.FromMilliseconds(random.Next(0, 1_500));
                await Task.Delay(downtime);
                if (random.NextDouble() < 0.25)
                {
                    // Killed again while it starts: mid-recovery of the log, opening the store, or just after.
                    var early = ServerProcess.Launch(settings);
                    var after = TimeSpan.FromMilliseconds(random.Next(200, 2_500));
                    await Task.Delay(after);
                    kills++;
                    log.Write($"fault {kills}: SIGKILL pid {early.Pid} while it starts, {after.TotalMilliseconds:0} ms after launch");
                    await early.KillAsync();
                    await early.DisposeAsync();
                }

                var restarting = log.Elapsed;
                server = await ServerProcess.StartAsync(settings, readyTimeout: TimeSpan.FromSeconds(120));
                Volatile.Write(ref current, server.BaseAddress);
                log.Write($"restarted after {downtime.TotalMilliseconds:0} ms down as pid {server.Pid}, ready in {(log.Elapsed - restarting).TotalSeconds:0.0} s");
            }

            log.Write($"faults over after {kills} kills; clients finish what they hold");
            await stop.CancelAsync();
            await clients;
            log.Write($"clients settled: {workload.Summary()}");
            Assert.True(kills >= 3 || chaos.Duration < TimeSpan.FromSeconds(20), $"only {kills} kills in {chaos.Duration.TotalSeconds} s");
            foreach (var failure in workload.Failures)
            {
                log.Write($"contract broken: {failure}");
            }

            await ChaosVerifier.AssertAsync(server.Client, ServiceKey, workload, log, TimeSpan.FromSeconds(120));
            Assert.True(workload.Failures.Count == 0, "answers that break the contract:\n" + string.Join('\n', workload.Failures));
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    public void Dispose() => _data.Dispose();
}
