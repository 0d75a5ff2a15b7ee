using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace ViewingHistory.Cli.Commands;

/// <summary>
/// <c>vh feed tail [--after P] [--follow]</c>: reads <c>GET /v1/changes</c> with a service key and prints every change
/// as one JSON line, oldest first. Without <c>--follow</c> it stops at the end of the feed; with it, it polls for more.
/// The last position printed is where a reader resumes (<c>--after</c>).
/// </summary>
internal static class FeedCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The server (api role); default: VH_URL, else http://localhost:5080.", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("VH_URL") ?? "http://localhost:5080" };
        var key = new Option<string?>("--key") { Description = "A service key; default: VH_SERVICE_KEY, else serviceKey in <data-dir>/credentials.json." };
        var dataDir = new Option<string>("--data-dir") { Description = "The server's data directory.", DefaultValueFactory = _ => "data" };
        var after = new Option<long>("--after") { Description = "Print changes after this position (0: from the oldest retained).", DefaultValueFactory = _ => 0 };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep polling for new changes until interrupted." };
        var limit = new Option<int>("--limit") { Description = "Changes per request (1 to 1000).", DefaultValueFactory = _ => 1000 };
        var poll = new Option<TimeSpan>("--poll-interval") { Description = "With --follow: the pause once caught up.", DefaultValueFactory = _ => TimeSpan.FromSeconds(1) };

        var tail = new Command("tail", "Print changes of the change feed, one JSON line each.") { url, key, dataDir, after, follow, limit, poll };
        tail.SetAction(async (parse, cancellationToken) =>
        {
            var serviceKey = parse.GetValue(key) ?? Environment.GetEnvironmentVariable("VH_SERVICE_KEY") ?? CredentialsFile.Read(parse.GetValue(dataDir)!).ServiceKey;
            if (string.IsNullOrEmpty(serviceKey))
            {
                await Console.Error.WriteLineAsync("No service key: pass --key, set VH_SERVICE_KEY, or point --data-dir at the server's data directory.");
                return 2;
            }

            if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var baseAddress))
            {
                await Console.Error.WriteLineAsync($"--url '{parse.GetValue(url)}' is not an absolute URL.");
                return 2;
            }

            using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", serviceKey);
            try
            {
                await TailAsync(http, parse.GetValue(after), parse.GetValue(limit), parse.GetValue(follow), parse.GetValue(poll), Console.Out, cancellationToken);
                return 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            catch (HttpRequestException ex)
            {
                await Console.Error.WriteLineAsync($"The change feed could not be read: {ex.Message}");
                return 1;
            }
        });

        return new Command("feed", "The change feed (CONTRACT.md \"Change feed\").") { tail };
    }

    public static async Task TailAsync(HttpClient http, long after, int limit, bool follow, TimeSpan poll, TextWriter output, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var response = await http.GetAsync($"/v1/changes?after={after.ToString(CultureInfo.InvariantCulture)}&limit={limit.ToString(CultureInfo.InvariantCulture)}", cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"{(int)response.StatusCode} {response.ReasonPhrase}: {await response.Content.ReadAsStringAsync(cancellationToken)}", null, response.StatusCode);
            }

            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!.AsObject();
            var changes = page["changes"]!.AsArray();
            foreach (var change in changes)
            {
                await output.WriteLineAsync(change!.ToJsonString());
            }

            await output.FlushAsync(cancellationToken);
            after = (long)page["next"]!;
            if (changes.Count == 0)
            {
                if (!follow)
                {
                    return;
                }

                await Task.Delay(poll, cancellationToken);
            }
        }
    }
}
