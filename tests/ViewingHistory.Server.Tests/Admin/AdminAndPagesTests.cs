using System.Net;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Admin;

/// <summary><c>GET /v1/admin/status</c> (what the ops dashboard shows besides /metrics), who may use the admin endpoints, and the pages the api role serves.</summary>
public sealed class AdminAndPagesTests(SyncEmbeddedSqliteFixture fixture) : IClassFixture<SyncEmbeddedSqliteFixture>
{
    private readonly ContractClient _client = new(fixture.Client, fixture.EventuallyConsistent);

    [Fact]
    public async Task Status_shows_mode_rollout_roles_and_the_health_of_each_engine_to_a_service_key()
    {
        var status = await _client.GetJsonAsync("/v1/admin/status");

        Assert.Equal("sync", (string?)status["mode"]);
        Assert.Equal(100, (int?)status["asyncPercent"]);
        Assert.Equal(["ingest", "processor", "api"], status["roles"]!.AsArray().Select(r => (string?)r));
        Assert.Equal("embedded", (string?)status["queue"]!["kind"]);
        Assert.True((bool?)status["queue"]!["healthy"]);
        Assert.Equal("sqlite", (string?)status["store"]!["kind"]);
        Assert.True((bool?)status["store"]!["healthy"]);
        Assert.Equal("running", (string?)status["consumption"]);
        Assert.Equal("ready", (string?)status["readiness"]!["status"]);
        Assert.Equal("""{"ingest":"ok","processor":"ok","api":"ok"}""", status["readiness"]!["roles"]!.ToJsonString());
    }

    [Theory]
    [InlineData("GET", "/v1/admin/status", null, HttpStatusCode.Unauthorized)]
    [InlineData("GET", "/v1/admin/status", TestCredentials.IngestKey, HttpStatusCode.Forbidden)]
    [InlineData("GET", "/v1/admin/status", "member", HttpStatusCode.Forbidden)]
    [InlineData("POST", "/v1/admin/consumption/pause", null, HttpStatusCode.Unauthorized)]
    [InlineData("POST", "/v1/admin/consumption/pause", TestCredentials.IngestKey, HttpStatusCode.Forbidden)]
    [InlineData("POST", "/v1/admin/consumption/pause", "member", HttpStatusCode.Forbidden)]
    [InlineData("POST", "/v1/admin/consumption/resume", TestCredentials.IngestKey, HttpStatusCode.Forbidden)]
    public async Task Admin_endpoints_are_refused_to_anything_but_a_service_key(string method, string path, string? credential, HttpStatusCode expected)
    {
        using var response = await _client.SendAsync(new HttpMethod(method), path, credential == "member" ? TestCredentials.MemberToken("m1") : credential);
        await ContractClient.ProblemAsync(response, expected);
        Assert.Equal("running", (string?)(await _client.GetJsonAsync("/v1/admin/status"))["consumption"]);
    }

    [Theory]
    [InlineData("/activity/", "Viewing activity")]
    [InlineData("/ops/", "ViewingHistory · Operations")]
    public async Task The_pages_are_served_without_credentials_and_allow_nothing_but_the_service_itself(string path, string title)
    {
        using var response = await fixture.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"<title>{title}</title>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.StartsWith("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/", "/activity/")]
    [InlineData("/activity", "/activity/")]
    [InlineData("/ops", "/ops/")]
    public async Task Bare_page_paths_redirect_to_the_page(string path, string location)
    {
        using var response = await fixture.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(location, response.Headers.Location?.OriginalString);
    }
}
