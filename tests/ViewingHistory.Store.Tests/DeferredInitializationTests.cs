using Npgsql;
using ViewingHistory.Core.History;
using ViewingHistory.Store.Postgres;
using ViewingHistory.Store.Sharding;
using ViewingHistory.Testing;
using static ViewingHistory.Store.Tests.Events;

namespace ViewingHistory.Store.Tests;

/// <summary>
/// A PostgreSQL store whose server is down when it is initialized (an ingest node started during a store outage): the
/// initialization is left owed, every operation fails as in an outage, and the first operation once the server answers
/// creates the schema and succeeds. One shard down at start stalls only its members. The class owns the server it stops;
/// the collection's server plays the shard that stays up.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DeferredInitializationTests(PostgresServer shared) : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly PostgresServer _stopped = new();

    public Task InitializeAsync() => _stopped.InitializeAsync();

    public Task DisposeAsync() => _stopped.DisposeAsync();

    [Fact(Timeout = 120_000)]
    public async Task A_store_initialized_while_its_server_is_stopped_creates_its_schema_on_the_first_operation_once_the_server_answers()
    {
        var db = await _stopped.CreateDatabaseAsync();
        await _stopped.StopAsync();
        await using var store = new PostgresHistoryStore(db);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.InitializeAsync(None));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.PingAsync(None));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ApplyAsync(Reduce(Event("m", "t", "s", 0, 0, 0)), None));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ReadPageAsync("m", 10, null, None));

        await _stopped.StartAsync();
        Assert.False(await TableExistsAsync(db, "sessions"));
        await store.ApplyAsync(Reduce(Event("m", "t", "s", 0, 0, 5_000)), None);
        Assert.True(await TableExistsAsync(db, "sessions"));
        Assert.Equal(new HistoryItem("t", T0, 5_000, 100_000, 1), await store.ReadItemAsync("m", "t", None));
        Assert.Equal("1/0/1", await PlacementAsync(db));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_placement_refusal_found_on_the_first_operation_fails_every_operation_with_it_instead_of_retrying_as_an_outage()
    {
        var db = await _stopped.CreateDatabaseAsync();
        await using (var shard = new PostgresHistoryStore(db, placement: new ShardPlacement(1, 2)))
        {
            await shard.InitializeAsync(None);
        }

        await _stopped.StopAsync();
        await using var single = new PostgresHistoryStore(db);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => single.InitializeAsync(None));
        await _stopped.StartAsync();

        var first = await Assert.ThrowsAsync<StoreUnavailableException>(() => single.ReadPageAsync("m", 10, null, None));
        Assert.IsType<InvalidOperationException>(first.InnerException);
        Assert.Contains("refuses this configuration", first.Message, StringComparison.Ordinal);
        Assert.Contains("shard 1 of 2", first.Message, StringComparison.Ordinal);

        // Sticky: the same refusal, not a new initialization that could pass (the database still says shard 1 of 2).
        var again = await Assert.ThrowsAsync<StoreUnavailableException>(() => single.ApplyAsync(Reduce(Event("m", "t", "s", 0, 0, 0)), None));
        Assert.Same(first.InnerException, again.InnerException);
        Assert.Equal("1/1/2", await PlacementAsync(db));
    }

    [Theory(Timeout = 120_000)]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_shard_down_at_start_stalls_only_its_members_and_initializes_on_first_use_once_it_answers(int down)
    {
        var up = 1 - down;
        var shards = new string[2];
        shards[up] = await shared.CreateDatabaseAsync();
        shards[down] = await _stopped.CreateDatabaseAsync();
        await _stopped.StopAsync();

        await using var store = new ShardedHistoryStore(shards, null, "vh_feed");
        var deferred = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.InitializeAsync(None));
        Assert.Contains($"shard {down}", deferred.Message, StringComparison.Ordinal);
        var healthy = Enumerable.Range(0, 100).Select(i => $"m{i}").First(m => store.ShardOf(m) == up);
        var stalled = Enumerable.Range(0, 100).Select(i => $"m{i}").First(m => store.ShardOf(m) == down);

        // The healthy shard's member is written and read; the down shard's member fails as in an outage.
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ApplyAsync(Reduce(Event(healthy, "t", "s", 0, 0, 1_000), Event(stalled, "t", "s", 0, 0, 2_000)), None));
        Assert.Equal(new HistoryItem("t", T0, 1_000, 100_000, 1), await store.ReadItemAsync(healthy, "t", None));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ReadItemAsync(stalled, "t", None));
        await store.PingAsync(None);
        Assert.Equal(new[] { up == 0, up == 1 }, store.ShardsUp.Select(s => s == true));

        // The global feed lives in shard 0's database: it answers with shard 0, and waits for it otherwise.
        if (down == 0)
        {
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ReadChangesAsync(0, 100, None));
        }
        else
        {
            Assert.Equal(new[] { healthy }, (await store.ReadChangesAsync(0, 100, None)).Changes.Select(c => c.MemberId));
        }

        await _stopped.StartAsync();
        await store.ApplyAsync(Reduce(Event(stalled, "t", "s", 0, 0, 2_000)), None);
        Assert.Equal(new HistoryItem("t", T0, 2_000, 100_000, 1), await store.ReadItemAsync(stalled, "t", None));
        Assert.Equal($"1/{down}/2", await PlacementAsync(shards[down]));
        var feed = await store.ReadChangesAsync(0, 100, None);
        Assert.Equal(new[] { healthy, stalled }.Order(StringComparer.Ordinal), feed.Changes.Select(c => c.MemberId).Order(StringComparer.Ordinal));
    }

    private static async Task<bool> TableExistsAsync(string db, string table)
    {
        await using var source = NpgsqlDataSource.Create(db);
        await using var command = source.CreateCommand("SELECT to_regclass($1) IS NOT NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The recorded placement as "rows/index/count" (rows: 1 once recorded).</summary>
    private static async Task<string> PlacementAsync(string db)
    {
        await using var source = NpgsqlDataSource.Create(db);
        await using var command = source.CreateCommand("SELECT count(*) || '/' || coalesce(max(shard_index), -1) || '/' || coalesce(max(shard_count), -1) FROM store_shards");
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
