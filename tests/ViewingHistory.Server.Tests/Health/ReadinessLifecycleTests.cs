using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using ViewingHistory.Pipeline;
using ViewingHistory.Queue.Embedded;
using ViewingHistory.Server.Configuration;
using ViewingHistory.Server.Health;
using ViewingHistory.Store.Sqlite;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Health;

/// <summary>
/// CONTRACT.md "Operations": a process that is starting (engines not yet initialized) or draining for shutdown is
/// unready, whatever its engines would say. On the real embedded engines, with the host's own lifetime.
/// </summary>
public sealed class ReadinessLifecycleTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("vh-ready-life");
    private EmbeddedEventQueue _queue = null!;
    private StoreSet _stores = null!;

    public async Task InitializeAsync()
    {
        _queue = new EmbeddedEventQueue(new EmbeddedQueueOptions { Directory = Path.Combine(_dir.Path, "queue") });
        _stores = new StoreSet(new SqliteHistoryStore(Path.Combine(_dir.Path, "history.db")), null);
        await _queue.InitializeAsync(CancellationToken.None);
        await _stores.Primary.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _queue.DisposeAsync();
        await _stores.Primary.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_process_is_unready_until_its_engines_are_initialized_ready_then_and_unready_again_once_it_drains()
    {
        var lifetime = new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance);
        var lifecycle = new ServiceLifecycle(lifetime);
        var probe = new ReadinessProbe(new ServiceOptions(), _queue, _stores, new OptionsInForce<PipelineOptions>(new PipelineOptions()), lifecycle, TimeProvider.System);

        var starting = await probe.CheckAsync();
        Assert.Equal(ReadinessReport.Unready, starting.Status);
        Assert.Equal(["ingest", "processor", "api"], starting.Roles.Select(r => r.Key));
        Assert.All(starting.Roles, r => Assert.False(r.Value));

        lifecycle.EnginesInitialized();
        var running = await probe.CheckAsync();
        Assert.Equal(ReadinessReport.Ready, running.Status);
        Assert.All(running.Roles, r => Assert.True(r.Value));

        lifetime.StopApplication();
        var draining = await probe.CheckAsync();
        Assert.Equal(ReadinessReport.Unready, draining.Status);
        Assert.False(draining.IsReady);
    }
}
