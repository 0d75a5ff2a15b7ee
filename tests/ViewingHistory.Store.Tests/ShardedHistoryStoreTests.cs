using Npgsql;
using ViewingHistory.Store.Postgres;
using ViewingHistory.Store.Sharding;
using ViewingHistory.Testing;
using static ViewingHistory.Store.Tests.Events;

namespace ViewingHistory.Store.Tests;

/// <summary>
/// The conformance suite, unchanged, on a store of two PostgreSQL shards (two databases of one server: the routing, the
/// split of applies and the global feed are what is under test), plus what only shards can show.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ShardedHistoryStoreTests(PostgresServer server) : HistoryStoreConformance
{
    private string[] _shards = [];

    protected override async Task CreateLocationAsync() => _shards = [await server.CreateDatabaseAsync(), await server.CreateDatabaseAsync()];

    protected override IHistoryStore NewStore(TimeProvider clock) => new ShardedHistoryStore(_shards, null, "vh_feed", clock);

    protected override IHistoryStore NewStoreElsewhere() => new ShardedHistoryStore(_shards, "vh_shadow", "vh_shadow_feed");

    [Fact(Timeout = 60_000)]
    public async Task Each_member_lives_on_its_shard_alone()
    {
        var sharded = (ShardedHistoryStore)Store;
        var members = Enumerable.Range(0, 20).Select(i => $"member{i}").ToList();
        await Store.ApplyAsync(Reduce(members.Select((m, i) => Event(m, "t", "s", 0, i, 10_000))), None);
        Assert.Contains(members, m => sharded.ShardOf(m) == 0);
        Assert.Contains(members, m => sharded.ShardOf(m) == 1);
        foreach (var member in members)
        {
            var shard = sharded.ShardOf(member);
            Assert.NotNull(await sharded.Shards[shard].ReadItemAsync(member, "t", None));
            Assert.Null(await sharded.Shards[1 - shard].ReadItemAsync(member, "t", None));
        }

        Assert.Equal(members.Order(StringComparer.Ordinal), await Store.ListMembersAsync(null, 100, None));
        Assert.Equal(members.Order(StringComparer.Ordinal).Skip(3).Take(5), await Store.ListMembersAsync(members.Order(StringComparer.Ordinal).ElementAt(2), 5, None));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_shard_started_under_another_shard_count_refuses_to_start()
    {
        await ApplyAsync(Event("m", "t", "s", 0, 0, 10_000));
        await using var three = new ShardedHistoryStore([.. _shards, await server.CreateDatabaseAsync()], null, "vh_feed");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => three.InitializeAsync(None));
        Assert.Matches("made as shard [01] of 2 and is configured as shard [01] of 3", refused.Message);

        await using var single = new PostgresHistoryStore(_shards[1]);
        Assert.Contains("shard 1 of 2", (await Assert.ThrowsAsync<InvalidOperationException>(() => single.InitializeAsync(None))).Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_one_shard_database_with_members_refuses_to_become_one_of_two()
    {
        var old = await server.CreateDatabaseAsync();
        await using (var one = new PostgresHistoryStore(old))
        {
            await one.InitializeAsync(None);
            await one.ApplyAsync(Reduce(Event("m", "t", "s", 0, 0, 10_000)), None);
        }

        // As a database made before placements were recorded: members, and no record.
        await using (var admin = NpgsqlDataSource.Create(old))
        await using (var command = admin.CreateCommand("DELETE FROM store_shards"))
        {
            await command.ExecuteNonQueryAsync();
        }

        await using var two = new ShardedHistoryStore([old, await server.CreateDatabaseAsync()], null, "vh_feed");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => two.InitializeAsync(None));
        Assert.Contains("no recorded shard placement", refused.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_reader_polling_the_feed_during_commits_on_every_shard_by_several_stores_skips_nothing_and_never_goes_back()
    {
        // Four stores (as four processor nodes), each copying the shards' outboxes as it reads, and a reader of its own.
        var writers = new List<IHistoryStore>();
        for (var w = 0; w < 4; w++)
        {
            writers.Add(await OpenAsync());
        }

        var positions = new List<long>();
        var fold = new Dictionary<(string, string), Core.History.HistoryItem?>();
        using var done = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            var next = 0L;
            while (true)
            {
                var finished = done.IsCancellationRequested;
                var page = await Store.ReadChangesAsync(next, 50, None);
                foreach (var change in page.Changes)
                {
                    Assert.True(change.Position > (positions.Count == 0 ? next : positions[^1]), $"position {change.Position} after {positions.LastOrDefault()}");
                    positions.Add(change.Position);
                    fold[(change.MemberId, change.TitleId)] = change.Item;
                }

                Assert.True(page.Next >= next);
                next = page.Next;
                if (finished && page.Changes.Count == 0)
                {
                    return;
                }
            }
        });

        var members = Enumerable.Range(0, 12).Select(i => $"poll{i}").ToList();
        try
        {
            await Task.WhenAll(writers.Select((store, w) => Task.Run(async () =>
            {
                for (var i = 0; i < 40; i++)
                {
                    await store.ApplyAsync(Reduce(Event(members[(w + i) % 12], $"t{i % 7}", $"s{w}", i, i, 1_000 * i), Event(members[(w + (3 * i)) % 12], $"t{i % 5}", $"s{w}", i, i, 500 * i)), None);
                    if (i % 10 == 9)
                    {
                        await store.HideTitleAsync(members[w], "t1", T0 + (i * 1000L), None);
                    }

                    _ = await store.ReadChangesAsync(long.MaxValue - 1, 1, None); // a reader of its own copies too
                }
            })));
        }
        finally
        {
            await done.CancelAsync();
            foreach (var store in writers)
            {
                await store.DisposeAsync();
            }
        }

        await reader;
        Assert.Equal(positions.Count, positions.Distinct().Count());
        var sharded = (ShardedHistoryStore)Store;
        Assert.Contains(members, m => sharded.ShardOf(m) == 0);
        Assert.Contains(members, m => sharded.ShardOf(m) == 1);
        foreach (var member in members)
        {
            var read = await ReadAllAsync(member);
            Assert.Equal(read.OrderBy(i => i.TitleId, StringComparer.Ordinal), fold.Where(f => f.Key.Item1 == member && f.Value is not null).Select(f => f.Value!).OrderBy(i => i.TitleId, StringComparer.Ordinal));
        }
    }
}
