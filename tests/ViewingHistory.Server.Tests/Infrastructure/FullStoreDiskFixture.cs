using ViewingHistory.Testing.Faults;

namespace ViewingHistory.Server.Tests.Infrastructure;

/// <summary>
/// Sync mode whose SQLite store lives on a small filesystem of its own (the data dir's <c>history.db</c> is a symlink
/// into it; SQLite puts the WAL beside the link's target), so a test can fill the store's disk and leave the queue's.
/// </summary>
public sealed class FullStoreDiskFixture : InProcessServiceFixture
{
    private LoopMount? _disk;

    public override bool EventuallyConsistent => false;

    public LoopMount Disk => _disk ?? throw new InvalidOperationException("Not started.");

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?> { ["Pipeline:Mode"] = "sync" };

    protected override async Task PrepareAsync()
    {
        _disk = await LoopMount.CreateAsync(32);
        File.CreateSymbolicLink(Path.Combine(DataDir, "history.db"), Path.Combine(_disk.Path, "history.db"));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_disk is not null)
        {
            await _disk.DisposeAsync();
        }
    }
}
