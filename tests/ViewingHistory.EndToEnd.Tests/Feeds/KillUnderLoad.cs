using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests.Feeds;

public static class KillUnderLoad
{
    /// <summary>
    /// Starts the server, drives <paramref name="driver"/> until <paramref name="acknowledged"/> events got a 202, then
    /// SIGKILLs it while requests are still in flight (some answered a moment ago, some mid-append).
    /// </summary>
    public static async Task RunAsync(IReadOnlyDictionary<string, string> settings, LoadDriver driver, int acknowledged)
    {
        await using var server = await ServerProcess.StartAsync(settings);
        using var stop = new CancellationTokenSource();
        var load = driver.RunAsync(() => new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) }, clients: 4, stop.Token);
        await Eventually.UntilAsync(() => Task.FromResult(driver.Acknowledged.Count >= acknowledged), TimeSpan.FromSeconds(60), $"{acknowledged} acknowledged events");
        await server.KillAsync();
        await stop.CancelAsync();
        await load;
    }
}
