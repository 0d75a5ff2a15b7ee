using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace ViewingHistory.Cli.Commands;

/// <summary>
/// How an admin command reaches a running server: its URL and a service key. Tools never open the server's files
/// (DESIGN.md), except the credentials file, which is where the server put the key it generated for its operators.
/// </summary>
internal sealed class AdminConnection
{
    private readonly Option<string> _url = new("--url")
    {
        Description = "The server's base URL.",
        DefaultValueFactory = _ => "http://localhost:5080",
    };

    private readonly Option<string?> _serviceKey = new("--service-key")
    {
        Description = "A service key; default: VH_SERVICE_KEY, else serviceKey in <data-dir>/credentials.json.",
    };

    private readonly Option<string> _dataDir = new("--data-dir") { Description = "The server's data directory.", DefaultValueFactory = _ => "data" };

    private readonly Option<TimeSpan> _timeout = new("--timeout") { Description = "How long to wait for the server.", DefaultValueFactory = _ => TimeSpan.FromSeconds(60) };

    /// <summary>Adds the connection options to <paramref name="command"/>.</summary>
    public Command AddTo(Command command)
    {
        command.Options.Add(_url);
        command.Options.Add(_serviceKey);
        command.Options.Add(_dataDir);
        command.Options.Add(_timeout);
        return command;
    }

    /// <summary>An authorized client, or null (after saying why on stderr) when there is no usable URL or service key.</summary>
    public HttpClient? CreateClient(ParseResult parse)
    {
        var key = parse.GetValue(_serviceKey)
            ?? Environment.GetEnvironmentVariable("VH_SERVICE_KEY")
            ?? CredentialsFile.Read(parse.GetValue(_dataDir)!).ServiceKey;
        if (string.IsNullOrEmpty(key))
        {
            Console.Error.WriteLine("No service key: pass --service-key, set VH_SERVICE_KEY, or point --data-dir at the server's data directory.");
            return null;
        }

        if (!Uri.TryCreate(parse.GetValue(_url), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine($"--url '{parse.GetValue(_url)}' is not an http(s) URL.");
            return null;
        }

        var http = new HttpClient { BaseAddress = url, Timeout = parse.GetValue(_timeout) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    /// <summary>Sends the request; on success returns the JSON body (or an empty object), else prints the problem and returns null.</summary>
    public static async Task<JsonObject?> SendAsync(HttpClient http, HttpMethod method, string path, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(method, path);
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            Console.Error.WriteLine($"Could not reach {http.BaseAddress}: {ex.Message}");
            return null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine($"{http.BaseAddress} did not answer within {http.Timeout.TotalSeconds:0} s.");
            return null;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var detail = TryParse(text) is { } problem ? (string?)problem["detail"] ?? (string?)problem["title"] : null;
                Console.Error.WriteLine($"{method} {path}: {(int)response.StatusCode} {response.ReasonPhrase}{(detail is null ? "" : ": " + detail)}");
                return null;
            }

            return TryParse(text) ?? [];
        }
    }

    private static JsonObject? TryParse(string text)
    {
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
