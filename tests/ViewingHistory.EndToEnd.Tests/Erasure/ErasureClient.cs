using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests.Erasure;

/// <summary>What the erasure process tests do over HTTP, with the keys of <see cref="Distributed"/>.</summary>
public static class ErasureClient
{
    public static JsonObject Event(string member, string title, DateTimeOffset at, int seq = 0, long position = 1_000) => new()
    {
        ["eventId"] = $"{member}-{title}-{seq}-{at.ToUnixTimeMilliseconds()}",
        ["memberId"] = member,
        ["titleId"] = title,
        ["sessionId"] = "s",
        ["seq"] = seq,
        ["type"] = "progress",
        ["positionMs"] = position,
        ["durationMs"] = 100_000,
        ["timestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    };

    public static async Task PostAsync(HttpClient client, IEnumerable<JsonObject> events)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events")
        {
            Content = new StringContent(new JsonArray(events.Select(e => (JsonNode)e).ToArray()).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Distributed.IngestKey);
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Distributed.ServiceKey);
        return await client.SendAsync(request);
    }

    /// <summary>Erases the member; returns T and E.</summary>
    public static async Task<(DateTimeOffset RequestedAt, DateTimeOffset ErasedThrough)> EraseAsync(HttpClient client, string member)
    {
        using var response = await SendAsync(client, HttpMethod.Delete, $"/v1/members/{member}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (DateTimeOffset.Parse((string)body["requestedAt"]!, CultureInfo.InvariantCulture), DateTimeOffset.Parse((string)body["erasedThrough"]!, CultureInfo.InvariantCulture));
    }

    public static async Task<JsonObject> StatusAsync(HttpClient client, string member)
    {
        using var response = await SendAsync(client, HttpMethod.Get, $"/v1/members/{member}/erasure");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    public static async Task<JsonObject> CompletedAsync(HttpClient client, string member, TimeSpan within)
    {
        JsonObject? last = null;
        try
        {
            return await Eventually.UntilAsync(async () => last = await StatusAsync(client, member), s => s["completedAt"] is not null, within, $"the erasure of {member} to complete");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; last status {last?.ToJsonString()}", ex);
        }
    }

    /// <summary>The member's titles in history order.</summary>
    public static async Task<List<string>> TitlesAsync(HttpClient client, string member)
    {
        using var response = await SendAsync(client, HttpMethod.Get, $"/v1/members/{member}/history?limit=100");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return [.. body["items"]!.AsArray().Select(i => (string)i!["titleId"]!)];
    }

    public static Task<List<string>> TitlesUntilAsync(HttpClient client, string member, Func<List<string>, bool> done, string what) =>
        Eventually.UntilAsync(() => TitlesAsync(client, member), done, TimeSpan.FromSeconds(30), what);

    /// <summary>
    /// An event stamped just after E, posted once the server's clock allows it (no later than now + 5 minutes): it is
    /// not covered, so it must show.
    /// </summary>
    public static async Task PostWitnessAsync(HttpClient client, string member, DateTimeOffset requestedAt, DateTimeOffset erasedThrough)
    {
        var wait = requestedAt + TimeSpan.FromSeconds(1.5) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        await PostAsync(client, [Event(member, "witness", erasedThrough.AddSeconds(1))]);
    }
}
