using Npgsql;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using ViewingHistory.Store.Postgres;
using ViewingHistory.Testing;
using static ViewingHistory.Store.Tests.Events;

namespace ViewingHistory.Store.Tests;

/// <summary>The conformance suite on PostgreSQL, one database per test, plus what only a shared server can show.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresHistoryStoreTests(PostgresServer server) : HistoryStoreConformance
{
    private string _connectionString = string.Empty;

    protected override async Task CreateLocationAsync() => _connectionString = await server.CreateDatabaseAsync();

    protected override IHistoryStore NewStore(TimeProvider clock) => new PostgresHistoryStore(_connectionString, clock: clock);

    protected override IHistoryStore NewStoreElsewhere() => new PostgresHistoryStore(_connectionString, "vh_shadow");

    [Fact(Timeout = 120_000)]
    public async Task Processors_racing_on_one_member_end_with_the_reference_history_and_a_consistent_feed()
    {
        // Eight processors, each with its own events of the same member and titles; some sessions are shared, so
        // the same session row is merged from several transactions at once.
        var processors = Enumerable.Range(0, 8).Select(p =>
        {
            var random = new Random(p);
            return Enumerable.Range(0, 150).Select(i => new PlaybackEvent(
                $"p{p}e{i}", "racer", $"t{random.Next(5)}", random.Next(3) == 0 ? "shared" : $"p{p}s{random.Next(4)}",
                random.Next(10), PlaybackEventType.Progress, random.Next(100_000), 100_000, T0 + (random.Next(60) * 1000L), null)).ToList();
        }).ToList();

        var stores = new List<IHistoryStore>();
        for (var p = 0; p < processors.Count; p++)
        {
            stores.Add(await OpenAsync());
        }

        try
        {
            using var start = new SemaphoreSlim(0);
            var tasks = processors.Select((events, p) => Task.Run(async () =>
            {
                await start.WaitAsync();
                foreach (var chunk in events.Chunk(10))
                {
                    await stores[p].ApplyAsync(Reduce(chunk), None);
                }
            })).ToList();
            start.Release(processors.Count);
            await Task.WhenAll(tasks);
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }

        var all = processors.SelectMany(e => e).ToList();
        await AssertHistoryAsync(all, [], ["racer"]);
        await AssertFeedFoldEqualsReadsAsync(["racer"]);
    }

    [Fact(Timeout = 120_000)]
    public async Task Hides_racing_with_applies_end_with_the_reference_history()
    {
        var random = new Random(11);
        var events = RandomSet(random, "h", 300, members: 2);
        var hides = RandomHides(random, "h", 6, members: 2);
        await using var other = await OpenAsync();
        var applies = Task.Run(async () =>
        {
            foreach (var chunk in events.Chunk(7))
            {
                await Store.ApplyAsync(Reduce(chunk), None);
            }
        });
        var hiding = Task.Run(async () =>
        {
            foreach (var hide in hides)
            {
                await (hide.TitleId is null
                    ? other.HideAllAsync(hide.MemberId, hide.AtMs, None)
                    : other.HideTitleAsync(hide.MemberId, hide.TitleId, hide.AtMs, None));
            }
        });
        await Task.WhenAll(applies, hiding);

        await AssertHistoryAsync(events, hides, ["hm0", "hm1"]);
        await AssertFeedFoldEqualsReadsAsync(["hm0", "hm1"]);
    }

    [Fact(Timeout = 60_000)]
    public async Task Stores_starting_together_create_the_schema_once()
    {
        var connectionString = await server.CreateDatabaseAsync();
        var stores = Enumerable.Range(0, 6).Select(_ => new PostgresHistoryStore(connectionString)).ToList();
        await Task.WhenAll(stores.Select(s => Task.Run(() => s.InitializeAsync(None))));
        await stores[0].ApplyAsync(Reduce(Event("m", "t", "s", 0, 0, 0)), None);
        Assert.NotNull(await stores[5].ReadItemAsync("m", "t", None));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task Two_schemas_in_one_database_are_independent_stores()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await using var main = new PostgresHistoryStore(connectionString, "main_history");
        await using var shadow = new PostgresHistoryStore(connectionString, "shadow_history");
        await main.InitializeAsync(None);
        await shadow.InitializeAsync(None);

        await main.ApplyAsync(Reduce(Event("m", "t", "s", 0, 0, 0)), None);
        Assert.NotNull(await main.ReadItemAsync("m", "t", None));
        Assert.Null(await shadow.ReadItemAsync("m", "t", None));
        Assert.Empty((await shadow.ReadChangesAsync(0, 10, None)).Changes);
    }

    [Fact]
    public void A_schema_name_that_is_not_a_plain_identifier_is_refused() =>
        Assert.Throws<ArgumentException>(() => new PostgresHistoryStore("Host=127.0.0.1", "x; DROP TABLE items"));

    [Theory(Timeout = 60_000)]
    [InlineData("database", "3D000")]
    [InlineData("role", "28000")]
    public async Task A_missing_database_or_role_fails_the_initialization_as_the_configurations_fault_not_as_an_outage(string missing, string sqlState)
    {
        // An outage defers the initialization (a StoreUnavailableException); this must fail the start instead.
        var builder = new NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync());
        if (missing == "database")
        {
            builder.Database = "vh_missing_" + Guid.NewGuid().ToString("N");
        }
        else
        {
            builder.Username = "vh_nobody";
        }

        await using var store = new PostgresHistoryStore(builder.ConnectionString);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync(None));
        Assert.Contains($"SQLSTATE {sqlState}", refused.Message, StringComparison.Ordinal);
        Assert.IsType<StoreUnavailableException>(refused.InnerException);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_database_made_before_continue_watching_gets_its_index_when_the_store_starts()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await using (var store = new PostgresHistoryStore(connectionString))
        {
            await store.InitializeAsync(None);
            await store.ApplyAsync(Reduce(Event("m", "film", "s", 0, 0, 50_000), Event("m", "done", "s", 0, 1, 99_000)), None);
        }

        await using var admin = NpgsqlDataSource.Create(connectionString);
        const string IndexExists = "SELECT count(*) FROM pg_indexes WHERE indexname = 'items_resume'";
        Assert.Equal(1L, await ScalarAsync(admin, IndexExists));
        await ScalarAsync(admin, "DROP INDEX items_resume");
        Assert.Equal(0L, await ScalarAsync(admin, IndexExists));

        for (var start = 0; start < 2; start++)
        {
            await using var store = new PostgresHistoryStore(connectionString);
            await store.InitializeAsync(None);
            Assert.Equal(1L, await ScalarAsync(admin, IndexExists));
            var page = await store.ReadContinueWatchingAsync("m", 20, null, None);
            Assert.Equal([new HistoryItem("film", T0, 50_000, 100_000, 1)], page.Items);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Continue_watching_reads_through_its_partial_index_not_the_members_whole_history()
    {
        // 4,000 finished titles and 20 in progress: the planner must prove the query implies the index's predicate.
        var events = Enumerable.Range(0, 4_020).Select(i => Event("wide", $"t{i}", "s", 0, i, i % 201 == 0 ? 30_000 : 100_000)).ToList();
        foreach (var chunk in events.Chunk(1_000))
        {
            await Store.ApplyAsync(Reduce(chunk), None);
        }

        await using var admin = NpgsqlDataSource.Create(_connectionString);
        await ScalarAsync(admin, "ANALYZE items");
        const string Scans = "SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes WHERE indexrelname = 'items_resume'";
        var before = await ScalarAsync(admin, Scans);
        var page = await Store.ReadContinueWatchingAsync("wide", 10, null, None);
        Assert.Equal(10, page.Items.Count);
        Assert.NotNull(page.Next);
        var next = await Store.ReadContinueWatchingAsync("wide", 10, page.Next, None);
        Assert.Equal(10, next.Items.Count);
        Assert.Null(next.Next);

        // Statistics reach the shared view when the reading backend goes idle: poll.
        await Eventually.UntilAsync(async () => await ScalarAsync(admin, Scans) >= before + 2, TimeSpan.FromSeconds(30), "two scans of items_resume");
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_database_from_before_started_at_is_migrated_and_its_sessions_show_null_start_and_device()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await using (var old = new Npgsql.NpgsqlConnection(connectionString))
        {
            await old.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("""
                CREATE TABLE sessions (member_id text COLLATE "C" NOT NULL, title_id text COLLATE "C" NOT NULL, session_id text COLLATE "C" NOT NULL,
                    last_at bigint NOT NULL, head_seq integer NOT NULL, head_ts bigint NOT NULL, head_event_id text COLLATE "C" NOT NULL,
                    position_ms bigint NOT NULL, duration_ms bigint NOT NULL, PRIMARY KEY (member_id, title_id, session_id));
                INSERT INTO sessions VALUES ('m', 't', 's', 1767225610000, 1, 1767225610000, 'old', 10000, 100000);
                """, old);
            await command.ExecuteNonQueryAsync();
        }

        await using var store = new PostgresHistoryStore(connectionString);
        await store.InitializeAsync(None);
        var before = await ExportAsync("m", store);
        Assert.Equal((null, null), (Assert.Single(before.Sessions).StartedAtMs, before.Sessions[0].Device));

        await store.ApplyAsync(Reduce(Event("m", "t", "s", 2, 20, 20_000) with { Device = "tv" }), None);
        var after = await ExportAsync("m", store);
        Assert.Equal((null, "tv"), (Assert.Single(after.Sessions).StartedAtMs, after.Sessions[0].Device));
    }
}
