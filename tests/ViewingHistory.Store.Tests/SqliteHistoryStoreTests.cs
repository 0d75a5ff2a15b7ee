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
}
