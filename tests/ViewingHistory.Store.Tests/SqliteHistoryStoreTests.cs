using ViewingHistory.Store.Sqlite;
using ViewingHistory.Testing;

namespace ViewingHistory.Store.Tests;

/// <summary>The conformance suite on the embedded store: one SQLite file per test.</summary>
public sealed class SqliteHistoryStoreTests : HistoryStoreConformance
{
    private TempDirectory? _directory;

    protected override Task CreateLocationAsync()
    {
        _directory = new TempDirectory("vh-sqlite");
        return Task.CompletedTask;
    }

    protected override IHistoryStore NewStore(TimeProvider clock) =>
        new SqliteHistoryStore(Path.Combine(_directory!.Path, "history.db"), clock);

    protected override Task DeleteLocationAsync()
    {
        _directory?.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_store_that_was_never_initialized_says_so_instead_of_failing_obscurely()
    {
        await using var store = new SqliteHistoryStore(Path.Combine(_directory!.Path, "other.db"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.ApplyAsync(Events.Reduce(Events.Event("m", "t", "s", 0, 0, 0)), None));
    }

    [Fact]
    public async Task Store_commits_are_fsynced_so_a_power_loss_cannot_put_the_checkpoint_ahead_of_the_store()
    {
        var path = Path.Combine(_directory!.Path, "durable.db");
        await using (var store = new SqliteHistoryStore(path))
        {
            await store.InitializeAsync(None);
            Assert.Equal("FULL", store.Synchronous);
            await store.ApplyAsync(Events.Reduce(Events.Event("m", "t", "s", 0, 0, 0)), None);
        }

        // An existing file opened again gets the same: the pragma is per connection, not stored in the file.
        await using var reopened = new SqliteHistoryStore(path);
        await reopened.InitializeAsync(None);
        Assert.Equal("FULL", reopened.Synchronous);
    }

    [Fact]
    public async Task A_database_from_before_started_at_is_migrated_and_its_sessions_show_null_start_and_device()
    {
        var path = Path.Combine(_directory!.Path, "old.db");
        using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            old.Open();
            using var command = old.CreateCommand();
            command.CommandText = """
                CREATE TABLE sessions (member_id TEXT NOT NULL, title_id TEXT NOT NULL, session_id TEXT NOT NULL, last_at INTEGER NOT NULL,
                    head_seq INTEGER NOT NULL, head_ts INTEGER NOT NULL, head_event_id TEXT NOT NULL, position_ms INTEGER NOT NULL,
                    duration_ms INTEGER NOT NULL, PRIMARY KEY (member_id, title_id, session_id)) WITHOUT ROWID;
                INSERT INTO sessions VALUES ('m', 't', 's', 1767225610000, 1, 1767225610000, 'old', 10000, 100000);
                """;
            command.ExecuteNonQuery();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using var store = new SqliteHistoryStore(path);
        await store.InitializeAsync(None);
        var before = await ExportAsync("m", store);
        Assert.Equal((null, null), (Assert.Single(before.Sessions).StartedAtMs, before.Sessions[0].Device));

        // A later head brings its device; the start stays unknown (the earlier events' timestamps are not known).
        await store.ApplyAsync(Events.Reduce(Events.Event("m", "t", "s", 2, 20, 20_000) with { Device = "tv" }), None);
        var after = await ExportAsync("m", store);
        Assert.Equal((null, "tv"), (Assert.Single(after.Sessions).StartedAtMs, after.Sessions[0].Device));
    }
}
