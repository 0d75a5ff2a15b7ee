using Microsoft.Data.Sqlite;
using ViewingHistory.Core.History;
using ViewingHistory.Store.Sqlite;
using ViewingHistory.Testing;

namespace ViewingHistory.Store.Tests;

/// <summary>The conformance suite on the embedded store: one SQLite file per test.</summary>
public class SqliteHistoryStoreTests : HistoryStoreConformance
{
    private TempDirectory? _directory;

    protected override Task CreateLocationAsync()
    {
        _directory = new TempDirectory("vh-sqlite");
        return Task.CompletedTask;
    }

    /// <summary>The writer's row cache size the suite runs with: the default here (every row stays cached).</summary>
    protected virtual int RowCacheItems => SqliteHistoryStore.DefaultRowCacheItems;

    protected string DatabasePath => Path.Combine(_directory!.Path, "history.db");

    protected override IHistoryStore NewStore(TimeProvider clock) =>
        new SqliteHistoryStore(DatabasePath, clock, RowCacheItems);

    protected override IHistoryStore NewStoreElsewhere() => new SqliteHistoryStore(Path.Combine(_directory!.Path, "history-shadow.db"));

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

    [Fact]
    public async Task An_erasure_by_a_second_writer_on_the_same_file_is_seen_by_the_first_ones_applies()
    {
        await ApplyAsync(Events.Event("m", "t", "s1", 0, 0, 1_000));
        await using (var other = new SqliteHistoryStore(DatabasePath, Clock, RowCacheItems))
        {
            await other.InitializeAsync(None);
            await other.EraseMemberAsync("m", null, None);
        }

        // The first store had never seen an erasure; the file moved, so it reads the marks and refuses a covered event.
        await Assert.ThrowsAsync<Rights.StaleErasureMarksException>(() => ApplyAsync(Events.Event("m", "t", "s1", 1, 5, 1_500)));
        Assert.Empty(await ReadAllAsync("m"));
    }

    [Fact]
    public async Task A_second_writer_on_the_same_file_is_seen_through_the_first_ones_row_cache()
    {
        await ApplyAsync(Events.Event("m", "t", "s1", 0, 0, 1_000));

        // Another connection (as another process would) adds a session of the same item behind the first store's back.
        await using (var other = new SqliteHistoryStore(DatabasePath, rowCacheItems: RowCacheItems))
        {
            await other.InitializeAsync(None);
            await other.ApplyAsync(Events.Reduce(Events.Event("m", "t", "s2", 0, 10, 2_000)), None);
        }

        // The first store's cache knew one session of the item; PRAGMA data_version tells it the file moved.
        await ApplyAsync(Events.Event("m", "t", "s1", 1, 5, 1_500));
        Assert.Equal(new HistoryItem("t", Events.T0 + 10_000, 2_000, 100_000, 2), await Store.ReadItemAsync("m", "t", None));
    }

    [Fact]
    public async Task A_database_made_before_continue_watching_gets_its_index_when_the_store_starts()
    {
        var path = Path.Combine(_directory!.Path, "older.db");
        await using (var store = new SqliteHistoryStore(path))
        {
            await store.InitializeAsync(None);
            await store.ApplyAsync(Events.Reduce(Events.Event("m", "film", "s", 0, 0, 50_000), Events.Event("m", "done", "s", 0, 1, 99_000)), None);
        }

        // The schema as the version before continue-watching left it: no partial index.
        Assert.Equal(1, Scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'items_resume'"));
        Scalar(path, "DROP INDEX items_resume");
        Assert.Equal(0, Scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'items_resume'"));

        for (var start = 0; start < 2; start++)
        {
            await using var store = new SqliteHistoryStore(path);
            await store.InitializeAsync(None);
            Assert.Equal(1, Scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'items_resume'"));
            var page = await store.ReadContinueWatchingAsync("m", 20, null, None);
            Assert.Equal([new HistoryItem("film", Events.T0, 50_000, 100_000, 1)], page.Items);
        }
    }

    private static long Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// The same suite with a row cache of three items: every test then mixes cache hits, misses and evictions (the random
/// property tests touch many more items than that).
/// </summary>
public sealed class SqliteHistoryStoreSmallRowCacheTests : SqliteHistoryStoreTests
{
    protected override int RowCacheItems => 3;
}

/// <summary>The same suite with the row cache off: every apply reads what it merges from the file, as before the cache.</summary>
public sealed class SqliteHistoryStoreWithoutRowCacheTests : SqliteHistoryStoreTests
{
    protected override int RowCacheItems => 0;
}
