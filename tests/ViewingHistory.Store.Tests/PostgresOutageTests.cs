using ViewingHistory.Core.History;
using ViewingHistory.Store.Postgres;
using ViewingHistory.Testing;
using static ViewingHistory.Store.Tests.Events;

namespace ViewingHistory.Store.Tests;

/// <summary>
/// Outages of PostgreSQL itself (stopped, frozen). Each class instance owns its server, so a stop or a freeze never
/// reaches the tests that share the collection's server.
/// </summary>
public sealed class PostgresOutageTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly PostgresServer server = new();

    private IHistoryStore Store { get; set; } = null!;

    public async Task InitializeAsync()
    {
        await server.InitializeAsync();
        Store = new PostgresHistoryStore(await server.CreateDatabaseAsync(), clock: new ManualClock());
        await Store.InitializeAsync(None);
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await server.DisposeAsync();
    }

    private Task<ApplyResult> ApplyAsync(params IEnumerable<ViewingHistory.Core.Events.PlaybackEvent> events) => Store.ApplyAsync(Reduce(events), None);

    [Fact(Timeout = 120_000)]
    public async Task A_stopped_server_makes_the_store_unavailable_and_a_restarted_one_serves_again()
    {
        await ApplyAsync(Event("m", "t", "s", 0, 0, 0));
        await server.StopAsync();
        try
        {
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.PingAsync(None));
            await Assert.ThrowsAsync<StoreUnavailableException>(() => ApplyAsync(Event("m", "t", "s", 1, 1, 1_000)));
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.ReadPageAsync("m", 10, null, None));
        }
        finally
        {
            await server.StartAsync();
        }

        await Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    await Store.PingAsync(None);
                    return true;
                }
                catch (StoreUnavailableException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30),
            "the store to answer after the restart");
        await ApplyAsync(Event("m", "t", "s", 1, 1, 1_000));
        Assert.Equal(new HistoryItem("t", T0 + 1_000, 1_000, 100_000, 1), await Store.ReadItemAsync("m", "t", None));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_frozen_server_times_out_as_unavailable_and_serves_again_once_thawed()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await using var store = new PostgresHistoryStore(connectionString + ";Timeout=2;Command Timeout=2;Cancellation Timeout=500");
        await store.InitializeAsync(None);
        await store.ApplyAsync(Reduce(Event("m", "t", "s", 0, 0, 0)), None);

        await server.FreezeAsync();
        try
        {
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ReadPageAsync("m", 10, null, None));
        }
        finally
        {
            await server.ThawAsync();
        }

        var item = await Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    return await store.ReadItemAsync("m", "t", None);
                }
                catch (StoreUnavailableException)
                {
                    return null;
                }
            },
            i => i is not null,
            TimeSpan.FromSeconds(30),
            "the store to answer after the thaw");
        Assert.Equal(new HistoryItem("t", T0, 0, 100_000, 1), item);
    }
}
