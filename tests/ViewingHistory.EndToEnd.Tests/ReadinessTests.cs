using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Issue 12 item 5, readiness per role (CONTRACT.md "Operations"), with PostgreSQL frozen by SIGSTOP. What broke: an
/// all-roles process answered 503 while the store was down, so a balancer took away the very ingest traffic the queue
/// exists to absorb. Now a role that cannot work is <c>failing</c>, the process <c>degraded</c> (200) while another
/// role still works, and <c>unready</c> (503) only when none does.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ReadinessTests(PostgresServer postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _data = new("vh-e2e-ready");
    private readonly TempDirectory _data2 = new("vh-e2e-ready2");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _data.Dispose();
        _data2.Dispose();
        return Task.CompletedTask;
    }

    private static Dictionary<string, string> EmbeddedAllRoles(string dataDir, string db, string mode)
    {
        var settings = Distributed.Settings(dataDir, natsUrl: string.Empty, db);
        settings["Queue:Kind"] = "embedded";
        settings.Remove("Queue:Url");
        settings["Pipeline:Mode"] = mode;
        settings["Pipeline:SyncApplyTimeout"] = "00:00:01";
        return settings;
    }

    [Fact]
    public async Task An_all_roles_embedded_process_stays_in_rotation_as_degraded_while_the_store_is_frozen_and_its_async_ingest_answers_202()
    {
        var db = await postgres.CreateDatabaseAsync();
        await using var server = await ServerProcess.StartAsync(EmbeddedAllRoles(_data.Path, db, "async"));
        var before = await Readiness.ReadAsync(server);
        Assert.Equal((200, "ready"), (before.Code, before.Status));
        Assert.Equal(new Dictionary<string, string> { ["ingest"] = "ok", ["processor"] = "ok", ["api"] = "ok" }, before.Roles);

        var driver = new LoadDriver(Distributed.IngestKey, $"rd-{Guid.NewGuid():N}"[..16]) { Members = 1, BatchSize = 5 };
        using var http = Distributed.Client(server);
        await postgres.FreezeAsync();
        try
        {
            var degraded = await Eventually.UntilAsync(() => Readiness.ReadAsync(server), a => a.Status == "degraded", Within, "the process to report degraded");
            output.WriteLine($"store frozen: {Readiness.Show(degraded)}");
            Assert.Equal(200, degraded.Code);
            Assert.Equal(new Dictionary<string, string> { ["ingest"] = "ok", ["processor"] = "failing", ["api"] = "failing" }, degraded.Roles);

            Assert.True(await driver.PostOneAsync(http, 0, CancellationToken.None), $"async ingest refused a batch while the store was frozen: {driver.StatusSummary()}");

            var ingest = await Readiness.ReadAsync(server, "ingest");
            Assert.Equal((200, "ready"), (ingest.Code, ingest.Status));
            Assert.Equal(new Dictionary<string, string> { ["ingest"] = "ok" }, ingest.Roles);
            var api = await Readiness.ReadAsync(server, "api");
            Assert.Equal((503, "unready"), (api.Code, api.Status));
            Assert.Equal(new Dictionary<string, string> { ["api"] = "failing" }, api.Roles);
            var processor = await Readiness.ReadAsync(server, "processor");
            Assert.Equal((503, "unready"), (processor.Code, processor.Status));

            using var live = await server.Client.GetAsync("/health/live");
            Assert.Equal(System.Net.HttpStatusCode.OK, live.StatusCode);
        }
        finally
        {
            await postgres.ThawAsync();
        }

        await Eventually.UntilAsync(() => Readiness.ReadAsync(server), a => a.Status == "ready", TimeSpan.FromSeconds(60), "every role ok again once the store is thawed");
        await HistoryVerifier.AssertEveryAcknowledgedEventIsReflectedAsync(server.Client, Distributed.ServiceKey, driver, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task In_sync_mode_the_same_process_is_unready_while_the_store_is_frozen_since_ingest_needs_the_store_too()
    {
        var db = await postgres.CreateDatabaseAsync();
        await using var server = await ServerProcess.StartAsync(EmbeddedAllRoles(_data.Path, db, "sync"));
        Assert.Equal("ready", (await Readiness.ReadAsync(server)).Status);

        await postgres.FreezeAsync();
        try
        {
            var unready = await Eventually.UntilAsync(() => Readiness.ReadAsync(server), a => a.Status == "unready", Within, "the process to report unready");
            output.WriteLine($"store frozen, sync mode: {Readiness.Show(unready)}");
            Assert.Equal(503, unready.Code);
            Assert.Equal(new Dictionary<string, string> { ["ingest"] = "failing", ["processor"] = "failing", ["api"] = "failing" }, unready.Roles);
            Assert.Equal(503, (await Readiness.ReadAsync(server, "ingest")).Code);
        }
        finally
        {
            await postgres.ThawAsync();
        }

        await Eventually.UntilAsync(() => Readiness.ReadAsync(server), a => a.Code == 200 && a.Status == "ready", TimeSpan.FromSeconds(60), "ready again once the store is thawed");
    }

    [Fact]
    public async Task Processor_only_and_api_only_processes_on_jetstream_are_unready_while_the_store_is_frozen()
    {
        await using var nats = await NatsServer.StartNewAsync();
        var db = await postgres.CreateDatabaseAsync();
        await using var processor = await ServerProcess.StartAsync(Distributed.Settings(_data.Path, nats.Url, db, roles: "processor"));
        await using var api = await ServerProcess.StartAsync(Distributed.Settings(_data2.Path, nats.Url, db, roles: "api"));
        Assert.Equal(new Dictionary<string, string> { ["processor"] = "ok" }, (await Readiness.ReadAsync(processor)).Roles);
        Assert.Equal(new Dictionary<string, string> { ["api"] = "ok" }, (await Readiness.ReadAsync(api)).Roles);

        await postgres.FreezeAsync();
        try
        {
            foreach (var (server, role) in new[] { (processor, "processor"), (api, "api") })
            {
                var unready = await Eventually.UntilAsync(() => Readiness.ReadAsync(server), a => a.Status == "unready", Within, $"the {role}-only process to report unready");
                output.WriteLine($"{role} only, store frozen: {Readiness.Show(unready)}");
                Assert.Equal(503, unready.Code);
                Assert.Equal(new Dictionary<string, string> { [role] = "failing" }, unready.Roles);
            }
        }
        finally
        {
            await postgres.ThawAsync();
        }

        await processor.WaitReadyAsync(TimeSpan.FromSeconds(60));
        await api.WaitReadyAsync(TimeSpan.FromSeconds(60));
    }
}
