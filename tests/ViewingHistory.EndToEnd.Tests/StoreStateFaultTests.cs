using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Faults;
using ViewingHistory.Testing.Nats;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Issue 12, item 2: faults of the store's state, not of the data, on real engines and real server processes. A
/// PostgreSQL that answers 25006 (read-only, as after a failover) made the processor dead-letter acknowledged
/// events, and the history stayed incomplete once the store was writable again. Each fault lasts a few seconds
/// under load; afterwards nothing is dead-lettered and every 202'd event is reflected.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StoreStateFaultTests(PostgresServer postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Fault = TimeSpan.FromSeconds(4);
    private readonly TempDirectory _data = new("vh-e2e-state");
    private readonly TempDirectory _ingestData = new("vh-e2e-state-ingest");
    private NatsServer _nats = null!;

    public async Task InitializeAsync() => _nats = await NatsServer.StartNewAsync();

    [Fact]
    public async Task A_read_only_PostgreSQL_for_a_few_seconds_dead_letters_nothing_and_every_acknowledged_event_is_reflected_after()
    {
        var db = await postgres.CreateDatabaseAsync();
        var settings = Distributed.Settings(_data.Path, _nats.Url, db);

        // What made the old classification dead-letter within a few seconds: few attempts, short backoff.
        settings["Processor:MaxAttempts"] = "2";
        settings["Processor:MaxBackoff"] = "00:00:00.200";
        await using var server = await ServerProcess.StartAsync(settings);
        var driver = new LoadDriver(Distributed.IngestKey, $"ro-{Guid.NewGuid():N}"[..16]) { BatchSize = 20 };
        using var stop = new CancellationTokenSource();
        var load = driver.RunAsync(() => Distributed.Client(server), clients: 4, stop.Token);
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= 400), TimeSpan.FromSeconds(60), "400 acknowledged events before the fault");

        await PostgresReadOnly.SetAsync(postgres, db, readOnly: true);
        int ackedDuringFault;
        try
        {
            var ackedAtFault = driver.Acknowledged.Count;
            await Eventually.UntilAsync(() => Task.FromResult(server.Output.Contains("25006", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "the processor to meet 25006");
            await Task.Delay(Fault);
            ackedDuringFault = driver.Acknowledged.Count - ackedAtFault;
        }
        finally
        {
            await PostgresReadOnly.SetAsync(postgres, db, readOnly: false);
        }

        var ackedAtHeal = driver.Acknowledged.Count;
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= ackedAtHeal + 400), TimeSpan.FromSeconds(60), "more acknowledged events after the fault");
        await stop.CancelAsync();
        await load;
        output.WriteLine($"{driver.StatusSummary()}; acknowledged while read-only: {ackedDuringFault}");

        Assert.Equal([202], driver.Statuses.Keys);
        Assert.True(ackedDuringFault > 0, "async ingest must keep answering 202 while the store is read-only");
        await ReadsAnswerAgainAsync(server, driver);
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(server.Client, Distributed.ServiceKey, driver, TimeSpan.FromSeconds(120));
        Assert.Equal(0, await DeadLetterCountAsync(server));
    }

    [Fact]
    public async Task Sync_ingest_answers_503_with_retry_after_not_500_while_PostgreSQL_is_read_only()
    {
        var db = await postgres.CreateDatabaseAsync();
        var settings = Distributed.Settings(_data.Path, _nats.Url, db);
        settings["Pipeline:Mode"] = "sync";
        settings["Processor:MaxAttempts"] = "2";
        settings["Processor:MaxBackoff"] = "00:00:00.200";
        await using var server = await ServerProcess.StartAsync(settings);
        var driver = new LoadDriver(Distributed.IngestKey, $"rs-{Guid.NewGuid():N}"[..16]) { BatchSize = 20 };
        using var stop = new CancellationTokenSource();
        var load = driver.RunAsync(() => Distributed.Client(server, TimeSpan.FromSeconds(30)), clients: 4, stop.Token);
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= 200), TimeSpan.FromSeconds(60), "200 acknowledged events before the fault");

        await PostgresReadOnly.SetAsync(postgres, db, readOnly: true);
        try
        {
            await Eventually.UntilAsync(() => Task.FromResult(driver.Statuses.GetValueOrDefault(503) >= 8), TimeSpan.FromSeconds(60), "503s while the store is read-only");
        }
        finally
        {
            await PostgresReadOnly.SetAsync(postgres, db, readOnly: false);
        }

        var ackedAtHeal = driver.Acknowledged.Count;
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= ackedAtHeal + 200), TimeSpan.FromSeconds(60), "202s again once the store is writable");
        await stop.CancelAsync();
        await load;
        output.WriteLine(driver.StatusSummary());

        Assert.True(driver.Statuses.Keys.Order().SequenceEqual([202, 503]), $"only 202 and 503 expected: {driver.StatusSummary()}");
        Assert.Equal(0, driver.RefusalsWithoutRetryAfter);
        await ReadsAnswerAgainAsync(server, driver);
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(server.Client, Distributed.ServiceKey, driver, TimeSpan.FromSeconds(120));
        Assert.Equal(0, await DeadLetterCountAsync(server));
    }

    [Fact]
    public async Task A_full_disk_under_the_SQLite_store_for_a_few_seconds_dead_letters_nothing_and_every_acknowledged_event_is_reflected_after()
    {
        // Room for what the load adds after the heal (store, WAL, archive) on a slow machine: a disk that fills up again
        // with legitimate data would hold the processor, rightly, for good.
        await using var disk = await LoopMount.CreateAsync(megabytes: 128);

        // The processor and its SQLite store on the small disk; ingest (JetStream, never the store) elsewhere.
        var backSettings = Distributed.Settings(disk.Path, _nats.Url, postgres: null, roles: "processor,api");
        backSettings["Processor:MaxAttempts"] = "2";
        backSettings["Processor:MaxBackoff"] = "00:00:00.200";
        await using var back = await ServerProcess.StartAsync(backSettings);
        await using var ingest = await ServerProcess.StartAsync(Distributed.Settings(_ingestData.Path, _nats.Url, postgres: null, roles: "ingest"));
        var driver = new LoadDriver(Distributed.IngestKey, $"fd-{Guid.NewGuid():N}"[..16]) { BatchSize = 20 };
        using var stop = new CancellationTokenSource();
        var load = driver.RunAsync(() => Distributed.Client(ingest), clients: 4, stop.Token);
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= 400), TimeSpan.FromSeconds(60), "400 acknowledged events before the fault");

        long ballast;
        try
        {
            ballast = await disk.FillAsync();
            await Eventually.UntilAsync(() => Task.FromResult(back.Output.Contains("disk is full", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "SQLite to fail with FULL");
            await Task.Delay(Fault);
        }
        finally
        {
            disk.Empty();
        }

        var ackedAtHeal = driver.Acknowledged.Count;
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= ackedAtHeal + 400), TimeSpan.FromSeconds(60), "more acknowledged events after the fault");
        await stop.CancelAsync();
        await load;
        output.WriteLine($"{driver.StatusSummary()}; ballast {ballast / 1024} KiB");

        Assert.Equal([202], driver.Statuses.Keys);
        try
        {
            await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(back.Client, Distributed.ServiceKey, driver, TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            output.WriteLine($"disk free {disk.FreeBytes / 1024} KiB; the processor's output ends with:\n{back.Output[^Math.Min(back.Output.Length, 6000)..]}");
            throw;
        }

        Assert.Equal(0, await DeadLetterCountAsync(back));
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        _data.Dispose();
        _ingestData.Dispose();
    }

    /// <summary>
    /// A read that meets a pooled connection the second termination killed answers 503 (honestly, with Retry-After)
    /// once; the verifier below wants every read to succeed, so wait until a whole pass of reads does.
    /// </summary>
    private static Task ReadsAnswerAgainAsync(ServerProcess server, LoadDriver driver) =>
        Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    await HistoryVerifier.ReadAllAsync(server.Client, Distributed.ServiceKey, driver.MembersUsed);
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            "reads to answer again after the store is writable");

    private static async Task<long> DeadLetterCountAsync(ServerProcess server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/admin/dead-letters?limit=100");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Distributed.ServiceKey);
        using var response = await server.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (long)body["count"]!;
    }
}
