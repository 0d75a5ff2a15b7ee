using Microsoft.Data.Sqlite;
using ViewingHistory.Core.History;
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
