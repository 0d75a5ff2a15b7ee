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
}
