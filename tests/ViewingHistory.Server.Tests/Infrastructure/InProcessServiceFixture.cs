using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Infrastructure;

/// <summary>The server hosted in the test process (WebApplicationFactory) with the given settings and a temp data dir.</summary>
public abstract class InProcessServiceFixture : ServiceFixture
{
    private readonly TempDirectory _dataDir = new("vh-server");
    private Factory? _factory;

    public string DataDir => _dataDir.Path;

    /// <summary>Configuration on top of the test credentials and the data dir.</summary>
    protected abstract IReadOnlyDictionary<string, string?> Settings { get; }

    protected virtual Task PrepareAsync() => Task.CompletedTask;

    public IServiceProvider Services => _factory!.Services;

    protected override async Task<HttpClient> StartAsync()
    {
        await PrepareAsync();
        var settings = new Dictionary<string, string?>
        {
            ["DataDir"] = _dataDir.Path,
            ["Auth:IngestKeys:0"] = TestCredentials.IngestKey,
            ["Auth:ServiceKeys:0"] = TestCredentials.ServiceKey,
            ["Auth:MemberTokenSecret"] = TestCredentials.Secret,
            ["Processor:MaxBatchWait"] = "00:00:00.005",

            // Erasures complete in seconds here: the archive's rewrite pass every 0.5 s, the feed's purge too.
            ["Erasure:ArchiveWithin"] = "00:00:02",
            ["Erasure:PurgeInterval"] = "00:00:00.500",
        };
        foreach (var (k, v) in Settings)
        {
            settings[k] = v;
        }

        _factory = new Factory(settings);
        return _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    }

    protected override async Task StopAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        _dataDir.Dispose();
    }

    private sealed class Factory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            foreach (var (k, v) in settings)
            {
                builder.UseSetting(k, v);
            }
        }
    }
}
