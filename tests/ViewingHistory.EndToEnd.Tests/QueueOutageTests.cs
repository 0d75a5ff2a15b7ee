using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Issue 5, queue outage: a real nats-server killed (SIGKILL) and restarted on the same port and store under load.
/// The ingest node spools accepted batches to its local durable log and forwards them once JetStream is back; with a
/// small spool it refuses with 503 + Retry-After and reports not ready once the spool is full. The processor and api
/// role runs in its own process on its own SQLite store, which is where every acknowledged event must show.
/// </summary>
public sealed class QueueOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDirectory _ingestData = new("vh-e2e-ingest");
    private readonly TempDirectory _backData = new("vh-e2e-back");
    private NatsServer _nats = null!;

    public async Task InitializeAsync() => _nats = await NatsServer.StartNewAsync();

    [Fact]
    public async Task An_ingest_node_spools_while_jetstream_is_down_and_forwards_everything_once_it_is_back()
    {
        await using var back = await ServerProcess.StartAsync(Distributed.Settings(_backData.Path, _nats.Url, postgres: null, roles: "processor,api"));
        await using var ingest = await ServerProcess.StartAsync(Distributed.Settings(_ingestData.Path, _nats.Url, postgres: null, roles: "ingest"));
        var driver = new LoadDriver(Distributed.IngestKey, $"qo-{Guid.NewGuid():N}"[..16]) { BatchSize = 20 };
        using var stop = new CancellationTokenSource();
        var load = driver.RunAsync(() => Distributed.Client(ingest, TimeSpan.FromSeconds(30)), clients: 4, stop.Token);
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= 400), TimeSpan.FromSeconds(60), "400 acknowledged events before the outage");

        var ready = new List<int>();
        _nats.Stop();
        try
        {
            var ackedAtStop = driver.Acknowledged.Count;
            await Eventually.UntilAsync(
                async () =>
                {
                    ready.Add(await Distributed.ReadyStatusAsync(ingest));
                    return driver.Acknowledged.Count >= ackedAtStop + 400 && ready.Count >= 5;
                },
                TimeSpan.FromSeconds(60),
                "400 events acknowledged while JetStream is down");
            Assert.Contains("spooling accepted batches locally", ingest.Output, StringComparison.Ordinal);
        }
        finally
        {
            await _nats.StartAsync();
        }

        var ackedAtRestart = driver.Acknowledged.Count;
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= ackedAtRestart + 400), TimeSpan.FromSeconds(60), "more acknowledged events after the restart");
        await stop.CancelAsync();
        await load;
        output.WriteLine($"{driver.StatusSummary()}; ingest /health/ready while JetStream was down: {string.Join(' ', ready)}");

        Assert.Equal([202], driver.Statuses.Keys);
        Assert.All(ready, status => Assert.Equal(200, status));
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(back.Client, Distributed.ServiceKey, driver, TimeSpan.FromSeconds(120));
    }

    [Fact]
    public async Task A_full_spool_answers_503_with_retry_after_and_not_ready_and_recovers_when_jetstream_is_back()
    {
        await using var back = await ServerProcess.StartAsync(Distributed.Settings(_backData.Path, _nats.Url, postgres: null, roles: "processor,api"));
        var settings = Distributed.Settings(_ingestData.Path, _nats.Url, postgres: null, roles: "ingest");
        settings["Queue:SpoolMaxBytes"] = (2 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var ingest = await ServerProcess.StartAsync(settings);
        var driver = new LoadDriver(Distributed.IngestKey, $"qf-{Guid.NewGuid():N}"[..16]) { BatchSize = 100 };
        using var stop = new CancellationTokenSource();

        _nats.Stop();
        Task load;
        try
        {
            load = driver.RunAsync(() => Distributed.Client(ingest, TimeSpan.FromSeconds(30)), clients: 4, stop.Token);
            await Eventually.UntilAsync(() => Task.FromResult(driver.Statuses.GetValueOrDefault(503) > 0), TimeSpan.FromSeconds(120), "a 503 once the spool is full");
            await Eventually.UntilAsync(async () => await Distributed.ReadyStatusAsync(ingest) == 503, TimeSpan.FromSeconds(10), "/health/ready to answer 503");
            Assert.True(driver.Acknowledged.Count > 0, "the spool took nothing before it was full");
        }
        finally
        {
            await _nats.StartAsync();
        }

        await Eventually.UntilAsync(async () => await Distributed.ReadyStatusAsync(ingest) == 200, TimeSpan.FromSeconds(60), "the ingest node to be ready again");
        var ackedAtRecovery = driver.Acknowledged.Count;
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= ackedAtRecovery + 400), TimeSpan.FromSeconds(60), "202s again");
        await stop.CancelAsync();
        await load;
        output.WriteLine(driver.StatusSummary());

        Assert.True(driver.Statuses.Keys.Order().SequenceEqual([202, 503]), $"only 202 and 503 expected: {driver.StatusSummary()}");
        Assert.Equal(0, driver.RefusalsWithoutRetryAfter);
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(back.Client, Distributed.ServiceKey, driver, TimeSpan.FromSeconds(120));
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        _ingestData.Dispose();
        _backData.Dispose();
    }
}
