using ViewingHistory.Testing;

namespace ViewingHistory.Browser.Tests;

/// <summary>The real server as a child process with a watched <c>ConfigFile</c> the tests rewrite.</summary>
public sealed class ConfiguredService : IAsyncLifetime
{
    private readonly TempDirectory _data = new("vh-browser-config");
    private ServerProcess? _server;

    public string ConfigFile => Path.Combine(_data.Path, "pipeline.json");

    public ServerProcess Server => _server ?? throw new InvalidOperationException("Not started.");

    public string Url(string path) => new Uri(Server.BaseAddress, path).ToString();

    public async Task InitializeAsync()
    {
        WriteConfig("""{"Pipeline":{"Mode":"async","AsyncPercent":100}}""");
        _server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["DataDir"] = _data.Path,
            ["ConfigFile"] = ConfigFile,
            ["Auth:IngestKeys:0"] = Service.IngestKey,
            ["Auth:ServiceKeys:0"] = Service.ServiceKey,
            ["Auth:MemberTokenSecret"] = Service.Secret,
        });
    }

    /// <summary>Replaces the file in one rename.</summary>
    public void WriteConfig(string json)
    {
        var temp = ConfigFile + ".tmp";
        File.WriteAllText(temp, json);
        File.Move(temp, ConfigFile, overwrite: true);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _data.Dispose();
    }
}
