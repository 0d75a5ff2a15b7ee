using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Infrastructure;

/// <summary>
/// The server in the test process on a data directory the test owns, so that a test can stop it and start it again
/// on the same state with other settings (a restart), which the shared fixtures do not do.
/// </summary>
public sealed class InProcessHost : IAsyncDisposable
{
    private readonly Factory _factory;

    private InProcessHost(Factory factory)
    {
        _factory = factory;
        Client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Contract = new ContractClient(Client, eventuallyConsistent: true);
    }

    public HttpClient Client { get; }

    public ContractClient Contract { get; }

    public IServiceProvider Services => _factory.Services;

    /// <summary>Starts the server with the test credentials, <paramref name="dataDir"/> and <paramref name="settings"/> over them.</summary>
    public static InProcessHost Start(string dataDir, IReadOnlyDictionary<string, string?> settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["DataDir"] = dataDir,
            ["Auth:IngestKeys:0"] = TestCredentials.IngestKey,
            ["Auth:ServiceKeys:0"] = TestCredentials.ServiceKey,
            ["Auth:MemberTokenSecret"] = TestCredentials.Secret,
            ["Processor:MaxBatchWait"] = "00:00:00.005",
        };
        foreach (var (k, v) in settings)
        {
            all[k] = v;
        }

        // The previous in-process host on the same data directory sometimes still holds the queue's directory lock for
        // a moment after its disposal returned; the start then fails inside the framework's test host, which reports
        // only its own disposed service provider. A start is tried again for a few seconds, never longer.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                return new InProcessHost(new Factory(all));
            }
            catch (ObjectDisposedException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(250);
            }
        }
    }

    /// <summary>Polls <c>/health/ready</c> until it answers 200 <c>ready</c> (engines initialized, every role ok); its body.</summary>
    public async Task<JsonObject> WaitReadyAsync()
    {
        var ready = await Eventually.UntilAsync(
            async () =>
            {
                using var response = await Client.GetAsync(new Uri("/health/ready", UriKind.Relative));
                return response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(await response.Content.ReadAsStringAsync())?.AsObject() : null;
            },
            r => (string?)r?["status"] == "ready",
            TimeSpan.FromSeconds(30),
            "the server to be ready");
        return ready!;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
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
