using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ViewingHistory.Pipeline.Processing;
using ViewingHistory.Server.Configuration;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Store;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Configuration;

/// <summary>The processor's workers default by store kind (one on SQLite's single writer), and a setting wins.</summary>
public sealed class ProcessorWorkersTests : IDisposable
{
    private readonly TempDirectory _data = new("vh-workers");

    [Fact]
    public async Task SqliteDefaultsToOneWorker()
    {
        await using var server = InProcessHost.Start(_data.Path, new Dictionary<string, string?> { ["Archive:Enabled"] = "false" });
        var options = server.Services.GetRequiredService<IOptions<ProcessorOptions>>().Value;
        Assert.Equal(1, options.Workers);
        Assert.Equal(new ProcessorOptions().MaxBatchEvents, options.MaxBatchEvents); // the other defaults are untouched
        Assert.Equal(TimeSpan.FromMilliseconds(5), options.MaxBatchWait); // and the section still binds over them
    }

    [Fact]
    public async Task ASettingWinsOverTheStoreDefault()
    {
        await using var server = InProcessHost.Start(_data.Path, new Dictionary<string, string?> { ["Archive:Enabled"] = "false", ["Processor:Workers"] = "3" });
        Assert.Equal(3, server.Services.GetRequiredService<IOptions<ProcessorOptions>>().Value.Workers);
    }

    [Fact]
    public void OtherStoresKeepTheOptionsDefault()
    {
        var factory = new ProcessorOptionsFactory(StoreKind.Postgres, [], [], []);
        Assert.Equal(new ProcessorOptions().Workers, factory.Create(Options.DefaultName).Workers);
        Assert.Equal(2, factory.Create(Options.DefaultName).Workers);
    }

    public void Dispose() => _data.Dispose();
}
