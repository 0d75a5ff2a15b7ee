using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Infrastructure;

/// <summary>
/// Sync mode whose SQLite store lives on a small filesystem of its own (the data dir's <c>history.db</c> is a symlink
/// into it; SQLite puts the WAL beside the link's target), so a test can fill the store's disk and leave the queue's.
/// </summary>
public sealed class FullStoreDiskFixture : InProcessServiceFixture
{
    private SmallFileSystem? _disk;

    public override bool EventuallyConsistent => false;

    public SmallFileSystem Disk => _disk ?? throw new InvalidOperationException("Not started.");

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?> { ["Pipeline:Mode"] = "sync" };

    protected override Task PrepareAsync()
    {
        _disk = new SmallFileSystem(32);
        File.CreateSymbolicLink(Path.Combine(DataDir, "history.db"), Path.Combine(_disk.Path, "history.db"));
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _disk?.Dispose();
    }
}
