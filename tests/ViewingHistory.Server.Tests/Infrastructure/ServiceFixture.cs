namespace ViewingHistory.Server.Tests.Infrastructure;

/// <summary>
/// A running service the contract suite talks to over HTTP, whatever its mode and engines. Async modes are
/// eventually consistent: the suite polls reads with a deadline.
/// </summary>
public abstract class ServiceFixture : IAsyncLifetime
{
    public HttpClient Client { get; private set; } = null!;

    /// <summary>Reads may lag ingest (async path).</summary>
    public abstract bool EventuallyConsistent { get; }

    public async Task InitializeAsync() => Client = await StartAsync();

    public virtual async Task DisposeAsync()
    {
        Client.Dispose();
        await StopAsync();
    }

    protected abstract Task<HttpClient> StartAsync();

    protected abstract Task StopAsync();
}
