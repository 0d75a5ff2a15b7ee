using Npgsql;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Issue 5, store outage, with PostgreSQL stopped (as by a crash) or frozen (SIGSTOP: connections open, nothing
/// answers) for a few seconds under load. Async ingest runs as its own role, so what these tests show is the edge's
/// own availability: it never touches the store. The processor and api role shares the store's fate: not ready while
/// it cannot read, and processing resumes by itself afterwards.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StoreOutageTests(PostgresServer postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(4);
    private readonly TempDirectory _ingestData = new("vh-e2e-ingest");
    private readonly TempDirectory _backData = new("vh-e2e-back");
    private NatsServer _nats = null!;

    public async Task InitializeAsync() => _nats = await NatsServer.StartNewAsync();

    [Theory]
    [InlineData("stopped")]
    [InlineData("frozen")]
    public async Task Async_ingest_keeps_answering_202_and_stays_ready_while_the_store_is_down_and_nothing_is_lost(string fault)
    {
        var db = await postgres.CreateDatabaseAsync();
        await using var back = await ServerProcess.StartAsync(Distributed.Settings(_backData.Path, _nats.Url, db, roles: "processor,api"));
        await using var ingest = await ServerProcess.StartAsync(Distributed.Settings(_ingestData.Path, _nats.Url, db, roles: "ingest"));
        var driver = new LoadDriver(Distributed.IngestKey, $"so-{fault}-{Guid.NewGuid():N}"[..20]) { BatchSize = 20 };
        using var stop = new CancellationTokenSource();
        var load = driver.RunAsync(() => Distributed.Client(ingest), clients: 4, stop.Token);
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= 400), TimeSpan.FromSeconds(60), "400 acknowledged events before the fault");

        var ingestReady = new List<int>();
        await BreakAsync(fault);
        try
        {
            await Eventually.UntilAsync(async () => await Distributed.ReadyStatusAsync(back) == 503, TimeSpan.FromSeconds(30), "the api role to report it cannot read");
            var ackedAtFault = driver.Acknowledged.Count;
            var outageEnds = DateTime.UtcNow + Outage;
            while (DateTime.UtcNow < outageEnds)
            {
                ingestReady.Add(await Distributed.ReadyStatusAsync(ingest));
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }

            Assert.True(driver.Acknowledged.Count > ackedAtFault, $"no event was acknowledged during the outage ({driver.StatusSummary()})");
        }
        finally
        {
            await HealAsync(fault);
        }

        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= 1200), TimeSpan.FromSeconds(60), "more acknowledged events after the outage");
        await stop.CancelAsync();
        await load;
        output.WriteLine($"{fault}: {driver.StatusSummary()}; ingest /health/ready during the outage: {string.Join(' ', ingestReady)}");

        Assert.Equal([202], driver.Statuses.Keys);
        Assert.NotEmpty(ingestReady);
        Assert.All(ingestReady, status => Assert.Equal(200, status));
        await back.WaitReadyAsync(TimeSpan.FromSeconds(60));
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(back.Client, Distributed.ServiceKey, driver, TimeSpan.FromSeconds(120));
    }

    [Theory]
    [InlineData("stopped")]
    [InlineData("frozen")]
    public async Task Sync_ingest_answers_503_with_retry_after_in_bounded_time_while_the_store_is_down_and_applies_no_batch_by_halves(string fault)
    {
        var db = await postgres.CreateDatabaseAsync();
        var settings = Distributed.Settings(_backData.Path, _nats.Url, db);
        settings["Pipeline:Mode"] = "sync";
        settings["Pipeline:SyncApplyTimeout"] = "00:00:01";
        await using var server = await ServerProcess.StartAsync(settings);
        var prefix = $"ss-{fault}-{Guid.NewGuid():N}"[..20];
        var driver = new LoadDriver(Distributed.IngestKey, prefix) { BatchSize = 20 };
        using var stop = new CancellationTokenSource();

        // The client waits far longer than the sync timeout: an answer that has not come by then is a hung request.
        var load = driver.RunAsync(() => Distributed.Client(server, TimeSpan.FromSeconds(30)), clients: 4, stop.Token);
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= 200), TimeSpan.FromSeconds(60), "200 acknowledged events before the fault");

        await BreakAsync(fault);
        try
        {
            await Eventually.UntilAsync(() => Task.FromResult(driver.Statuses.GetValueOrDefault(503) >= 8), TimeSpan.FromSeconds(60), "503s while the store is down");
        }
        finally
        {
            await HealAsync(fault);
        }

        var ackedAtHeal = driver.Acknowledged.Count;
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= ackedAtHeal + 200), TimeSpan.FromSeconds(60), "202s again once the store is back");
        await stop.CancelAsync();
        await load;
        output.WriteLine($"{fault}: {driver.StatusSummary()}");

        Assert.True(driver.Statuses.Keys.Order().SequenceEqual([202, 503]), $"only 202 and 503 expected: {driver.StatusSummary()}");
        Assert.Equal(0, driver.RefusalsWithoutRetryAfter);
        await AssertEveryBatchAppliedWholeOrNotAtAllAsync(db, prefix, driver);
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(server.Client, Distributed.ServiceKey, driver, TimeSpan.FromSeconds(120));
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        _ingestData.Dispose();
        _backData.Dispose();
    }

    /// <summary>
    /// Each batch is one member's, and the 503'd ones are already in the queue, so processors apply them while this
    /// looks: every snapshot (one statement, one MVCC snapshot) must hold all of a batch's titles or none of them.
    /// </summary>
    private static async Task AssertEveryBatchAppliedWholeOrNotAtAllAsync(string db, string prefix, LoadDriver driver)
    {
        var batches = driver.Batches.ToList();
        await Eventually.UntilAsync(
            async () =>
            {
                var present = await SnapshotAsync(db, prefix);
                foreach (var batch in batches)
                {
                    var applied = batch.Count(present.Contains);
                    Assert.True(applied == 0 || applied == batch.Count, $"a batch of {batch.Count} events is applied by halves: {applied} of them ({batch[0]}...)");
                }

                return batches.All(b => present.Contains(b[0]));
            },
            TimeSpan.FromSeconds(120),
            "every batch to be applied");
    }

    private static async Task<HashSet<string>> SnapshotAsync(string db, string prefix)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT member_id || '/' || title_id FROM items WHERE starts_with(member_id, $1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = prefix });
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    private Task BreakAsync(string fault) => fault == "frozen" ? postgres.FreezeAsync() : postgres.StopAsync();

    private Task HealAsync(string fault) => fault == "frozen" ? postgres.ThawAsync() : postgres.StartAsync();
}
