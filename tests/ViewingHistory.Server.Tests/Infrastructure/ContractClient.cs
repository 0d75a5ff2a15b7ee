using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Infrastructure;

/// <summary>A client that speaks only CONTRACT.md.</summary>
public sealed class ContractClient(HttpClient http, bool eventuallyConsistent)
{
    public static readonly TimeSpan ConsistencyDeadline = TimeSpan.FromSeconds(30);

    public HttpClient Http => http;

    public bool EventuallyConsistent => eventuallyConsistent;

    public async Task<HttpResponseMessage> PostAsync(string body, string? credential = TestCredentials.IngestKey, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events")
        {
            Content = new StringContent(body, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        Authorize(request, credential);
        return await http.SendAsync(request);
    }

    public async Task PostAcceptedAsync(string body)
    {
        using var response = await PostAsync(body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {text}");
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? credential)
    {
        var request = new HttpRequestMessage(method, path);
        Authorize(request, credential);
        return http.SendAsync(request);
    }

    public async Task<JsonObject> GetJsonAsync(string path, string? credential = TestCredentials.ServiceKey)
    {
        using var response = await SendAsync(HttpMethod.Get, path, credential);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: expected 200, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>A GET with an <c>If-None-Match</c> header sent as given (null: none).</summary>
    public Task<HttpResponseMessage> GetAsync(string path, string? credential, string? ifNoneMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        Authorize(request, credential);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        return http.SendAsync(request);
    }

    /// <summary>Every item of the member, following nextCursor to the end.</summary>
    public Task<List<JsonObject>> ReadAllAsync(string member, int limit = 100) => ReadAllAsync(member, "history", limit);

    /// <summary>Every item of one of the member's lists (<c>history</c>, <c>continue-watching</c>), following nextCursor to the end.</summary>
    public async Task<List<JsonObject>> ReadAllAsync(string member, string list, int limit)
    {
        var items = new List<JsonObject>();
        string? cursor = null;
        do
        {
            var page = await GetJsonAsync($"/v1/members/{member}/{list}?limit={limit}" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"));
            items.AddRange(page["items"]!.AsArray().Select(i => i!.AsObject()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return items;
    }

    /// <summary>Reads the member's history until <paramref name="done"/> holds (async modes), or once (sync).</summary>
    public async Task<List<JsonObject>> ReadUntilAsync(string member, Func<List<JsonObject>, bool> done, string what)
    {
        if (!eventuallyConsistent)
        {
            // Sync: the history is complete when the 202 arrives; no waiting, and the condition must already hold.
            var items = await ReadAllAsync(member);
            Assert.True(done(items), $"Expected {what} at once in a synchronous mode.");
            return items;
        }

        return await Eventually.UntilAsync(() => ReadAllAsync(member), done, ConsistencyDeadline, what);
    }

    /// <summary>Waits until the member shows the given title (a witness posted in the same batch as what must be settled).</summary>
    public Task<List<JsonObject>> WaitForTitleAsync(string member, string title) =>
        ReadUntilAsync(member, items => items.Any(i => (string?)i["titleId"] == title), $"{member}/{title} to show");

    public static void Authorize(HttpRequestMessage request, string? credential)
    {
        if (credential is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + credential);
        }
    }

    public static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal((int)status, (int)problem["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["title"]));
        return problem;
    }

    public static string Canonical(IEnumerable<JsonObject> items) => JsonSerializer.Serialize(items.Select(i => i.ToJsonString()));
}
