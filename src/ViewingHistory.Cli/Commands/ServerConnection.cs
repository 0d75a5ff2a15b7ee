using System.CommandLine;
using System.Net.Http.Headers;

namespace ViewingHistory.Cli.Commands;

/// <summary>
/// The options every command that talks to a running server shares (--url, --service-key, --data-dir), and the
/// HTTP client they make. Tools never open the server's files, except its credentials file for the default key.
/// </summary>
internal sealed class ServerConnection
{
    public Option<string> Url { get; } = new("--url") { Description = "The server's base URL.", DefaultValueFactory = _ => "http://localhost:5080" };

    public Option<string?> ServiceKey { get; } = new("--service-key") { Description = "A service key; default: VH_SERVICE_KEY, else serviceKey in <data-dir>/credentials.json." };

    public Option<string> DataDir { get; } = new("--data-dir") { Description = "The server's data directory (for its generated credentials).", DefaultValueFactory = _ => "data" };

    public void AddTo(Command command)
    {
        command.Options.Add(Url);
        command.Options.Add(ServiceKey);
        command.Options.Add(DataDir);
    }

    /// <summary>An HTTP client authorized with the service key, or null (and a message on stderr) when there is no key.</summary>
    public HttpClient? CreateClient(ParseResult parse, TimeSpan timeout)
    {
        var key = parse.GetValue(ServiceKey) ?? Environment.GetEnvironmentVariable("VH_SERVICE_KEY") ?? CredentialsFile.Read(parse.GetValue(DataDir)!).ServiceKey;
        if (string.IsNullOrEmpty(key))
        {
            Console.Error.WriteLine("No service key: pass --service-key, set VH_SERVICE_KEY, or point --data-dir at the server's data directory.");
            return null;
        }

        if (!Uri.TryCreate(parse.GetValue(Url), UriKind.Absolute, out var url))
        {
            Console.Error.WriteLine("--url must be an absolute URL, e.g. http://localhost:5080");
            return null;
        }

        var client = new HttpClient { BaseAddress = url, Timeout = timeout };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
