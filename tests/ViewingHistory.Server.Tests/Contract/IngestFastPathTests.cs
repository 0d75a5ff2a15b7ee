using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Endpoints;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Contract;

/// <summary>
/// The ingest fast path (<see cref="IngestFastPath"/>) answers what the whole pipeline answers: the same requests to a
/// server that takes them on the fast path and to one that cannot (a per-key rate limit set far above what the test
/// sends), compared answer by answer; and which requests it takes.
/// </summary>
public sealed class IngestFastPathTests
{
    private static readonly Credentials Keys = new([TestCredentials.IngestKey], [TestCredentials.ServiceKey], TestCredentials.Secret);

    [Theory]
    [InlineData("POST", "/v1/playback/events", "Bearer " + TestCredentials.IngestKey, true)]
    [InlineData("POST", "/v1/playback/events", "bearer  " + TestCredentials.IngestKey + " ", true)]
    [InlineData("POST", "/v1/playback/events", "Bearer " + TestCredentials.ServiceKey, false)]
    [InlineData("POST", "/v1/playback/events", "Bearer not-a-key", false)]
    [InlineData("POST", "/v1/playback/events", "Basic " + TestCredentials.IngestKey, false)]
    [InlineData("POST", "/v1/playback/events", null, false)]
    [InlineData("PUT", "/v1/playback/events", "Bearer " + TestCredentials.IngestKey, false)]
    [InlineData("POST", "/v1/playback/events/", "Bearer " + TestCredentials.IngestKey, false)]
    [InlineData("POST", "/V1/playback/events", "Bearer " + TestCredentials.IngestKey, false)]
    [InlineData("POST", "/v1/playback/./events", "Bearer " + TestCredentials.IngestKey, false)]
    [InlineData("POST", "/v1/playback/events?x=1", "Bearer " + TestCredentials.IngestKey, false)]
    public void Only_the_exact_path_with_one_ingest_key_is_taken(string method, string target, string? authorization, bool taken) =>
        Assert.Equal(taken, IngestFastPath.Takes(Request(method, target, "application/json", authorization is null ? [] : [authorization]), Keys));

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("Application/JSON; charset=utf-8", true)]
    [InlineData("text/plain", false)]
    [InlineData("application/jsonx", false)]
    [InlineData(null, false)]
    public void Only_a_JSON_body_is_taken(string? contentType, bool taken) =>
        Assert.Equal(taken, IngestFastPath.Takes(Request("POST", IngestFastPath.Path, contentType, ["Bearer " + TestCredentials.IngestKey]), Keys));

    [Fact]
    public void Two_authorization_headers_go_down_the_whole_pipeline() =>
        Assert.False(IngestFastPath.Takes(Request("POST", IngestFastPath.Path, "application/json", ["Bearer " + TestCredentials.IngestKey, "Bearer " + TestCredentials.IngestKey]), Keys));

    /// <summary>A request as Kestrel hands it on: dot segments resolved in the path, kept in the raw target.</summary>
    private static DefaultHttpContext Request(string method, string target, string? contentType, string[] authorization)
    {
        var http = new DefaultHttpContext();
        var query = target.IndexOf('?', StringComparison.Ordinal);
        http.Request.Method = method;
        http.Request.ContentType = contentType;
        http.Request.Path = (query < 0 ? target : target[..query]).Replace("/./", "/", StringComparison.Ordinal);
        http.Features.Get<IHttpRequestFeature>()!.RawTarget = target;
        if (authorization.Length > 0)
        {
            http.Request.Headers.Authorization = authorization;
        }

        return http;
    }

    [Fact]
    public async Task Every_answer_is_the_one_the_whole_pipeline_gives()
    {
        // The real binary: Kestrel's raw request target, which the in-process test server does not give as Kestrel does.
        using var fastData = new TempDirectory("vh-fast-path");
        using var fullData = new TempDirectory("vh-full-path");
        var limited = TestCredentials.ServerSettings(fullData.Path);
        limited["Ingest:RateLimitPerSecond"] = "1000000";
        await using var fast = await ServerProcess.StartAsync(TestCredentials.ServerSettings(fastData.Path));
        await using var full = await ServerProcess.StartAsync(limited);

        var valid = Ev.Batch(Ev.Make("m-fast", "t1", id: "fast-1"), Ev.Make("m-fast", "t2", id: "fast-2"));
        var cases = new (string Name, string Path, string Body, string? Credential, string ContentType)[]
        {
            ("accepted", "/v1/playback/events", valid, TestCredentials.IngestKey, "application/json"),
            ("accepted again (duplicates)", "/v1/playback/events", valid, TestCredentials.IngestKey, "application/json; charset=utf-8"),
            ("invalid event", "/v1/playback/events", Ev.Batch(Ev.Make("m-fast", "t1", seq: -1)), TestCredentials.IngestKey, "application/json"),
            ("malformed body", "/v1/playback/events", "[{\"eventId\":", TestCredentials.IngestKey, "application/json"),
            ("empty batch", "/v1/playback/events", "[]", TestCredentials.IngestKey, "application/json"),
            ("not JSON", "/v1/playback/events", valid, TestCredentials.IngestKey, "text/plain"),
            ("too large", "/v1/playback/events", "[" + new string(' ', 1_100_000) + "]", TestCredentials.IngestKey, "application/json"),
            ("service key", "/v1/playback/events", valid, TestCredentials.ServiceKey, "application/json"),
            ("member token", "/v1/playback/events", valid, TestCredentials.MemberToken("m-fast"), "application/json"),
            ("unknown key", "/v1/playback/events", valid, "not-a-key", "application/json"),
            ("no key", "/v1/playback/events", valid, null, "application/json"),
            ("trailing slash", "/v1/playback/events/", valid, TestCredentials.IngestKey, "application/json"),
        };

        foreach (var (name, path, body, credential, contentType) in cases)
        {
            var (fastStatus, fastAnswer) = await SendAsync(fast.Client, path, body, credential, contentType);
            var (fullStatus, fullAnswer) = await SendAsync(full.Client, path, body, credential, contentType);
            Assert.True(fastStatus == fullStatus, $"{name}: {(int)fastStatus} on the fast path, {(int)fullStatus} through the pipeline");
            Assert.True(fastAnswer == fullAnswer, $"{name}: '{fastAnswer}' on the fast path, '{fullAnswer}' through the pipeline");
        }

        // What the fast path accepted is in the history, as what the pipeline accepted is.
        var fastItems = await new ContractClient(fast.Client, eventuallyConsistent: true).ReadUntilAsync("m-fast", items => items.Count == 2, "the fast path's two titles");
        var fullItems = await new ContractClient(full.Client, eventuallyConsistent: true).ReadUntilAsync("m-fast", items => items.Count == 2, "the pipeline's two titles");
        Assert.Equal(ContractClient.Canonical(fullItems), ContractClient.Canonical(fastItems));
    }

    /// <summary>Status, headers that matter and body, without what differs by request (traceId).</summary>
    private static async Task<(HttpStatusCode Status, string Answer)> SendAsync(HttpClient client, string path, string body, string? credential, string contentType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        ContractClient.Authorize(request, credential);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length > 0 ? JsonNode.Parse(text) : null;
        if (json is JsonObject problem)
        {
            problem.Remove("traceId");
        }

        var headers = $"{response.Content.Headers.ContentType} www-authenticate={response.Headers.WwwAuthenticate} retry-after={response.Headers.RetryAfter}";
        return (response.StatusCode, headers + " " + (json?.ToJsonString() ?? string.Empty));
    }
}
