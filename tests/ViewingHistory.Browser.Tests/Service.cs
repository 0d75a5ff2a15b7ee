using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using ViewingHistory.Testing;

namespace ViewingHistory.Browser.Tests;

/// <summary>The real server as a child process with known credentials, and the HTTP calls the tests make to set it up.</summary>
public sealed class Service : IAsyncLifetime
{
    public const string IngestKey = "browser-ingest-key-0123456789";
    public const string ServiceKey = "browser-service-key-0123456789";
    public const string Secret = "browser-member-token-secret-0123456789-abcdef";

    private readonly TempDirectory _data = new("vh-browser");
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("Not started.");

    public string Url(string path) => new Uri(Server.BaseAddress, path).ToString();

    public async Task InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["DataDir"] = _data.Path,
            ["Auth:IngestKeys:0"] = IngestKey,
            ["Auth:ServiceKeys:0"] = ServiceKey,
            ["Auth:MemberTokenSecret"] = Secret,
        });
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _data.Dispose();
    }

    public static string MemberToken(string memberId, string secret = Secret) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Subject = new ClaimsIdentity([new Claim("sub", memberId)]),
        Expires = DateTime.UtcNow.AddMinutes(30),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
    });

    public static JsonObject Event(string member, string title, string session, int seq, long position, long duration, DateTimeOffset at) => new()
    {
        ["eventId"] = $"{session}-{seq}-{Guid.NewGuid():N}",
        ["memberId"] = member,
        ["titleId"] = title,
        ["sessionId"] = session,
        ["seq"] = seq,
        ["type"] = seq == 0 ? "start" : "progress",
        ["positionMs"] = position,
        ["durationMs"] = duration,
        ["timestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    };

    public async Task PostAsync(IEnumerable<JsonObject> events)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events")
        {
            Content = new StringContent(new JsonArray([.. events]).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", IngestKey);
        using var response = await Server.Client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The member's whole history as the service key reads it (titleIds in page order).</summary>
    public async Task<List<string>> TitlesAsync(string member)
    {
        var titles = new List<string>();
        string? cursor = null;
        do
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/members/{member}/history?limit=100" + (cursor is null ? string.Empty : $"&cursor={Uri.EscapeDataString(cursor)}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServiceKey);
            using var response = await Server.Client.SendAsync(request);
            response.EnsureSuccessStatusCode();
            using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            titles.AddRange(page.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("titleId").GetString()!));
            cursor = page.RootElement.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        return titles;
    }

    /// <summary>Async ingest is eventually consistent: wait until the member's history has <paramref name="count"/> titles.</summary>
    public Task WaitForTitlesAsync(string member, int count) => Eventually.UntilAsync(
        () => TitlesAsync(member), t => t.Count == count, TimeSpan.FromSeconds(30), $"{count} titles in the history of {member}");
}
