using System.Net;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Hostile;

/// <summary>
/// Issue 5, hostile input, beyond what the contract suite already covers (ContractSuite.Ingest and .Auth): every
/// case is refused with a 4xx, never a 5xx, and the server is still ready and still accepts a good batch afterwards.
/// </summary>
public sealed class HostileInputTests(AsyncEmbeddedSqliteFixture fixture) : IClassFixture<AsyncEmbeddedSqliteFixture>
{
    private readonly ContractClient _api = new(fixture.Client, fixture.EventuallyConsistent);

    /// <summary>A valid event's fields with <paramref name="extra"/> spliced in before the closing brace.</summary>
    private static string Valid(string extra = "", string member = "hm", string eventId = "h1") =>
        $$"""{"eventId":"{{eventId}}","memberId":"{{member}}","titleId":"t","sessionId":"s","seq":0,"type":"start","positionMs":0,"durationMs":1000,"timestamp":"2026-01-01T00:00:00Z"{{extra}}}""";

    public static TheoryData<string, string> HostileBodies => new()
    {
        { "arrays nested 10,000 deep in an unknown field", $"[{Valid($",\"x\":{new string('[', 10_000)}{new string(']', 10_000)}")}]" },
        { "objects nested 10,000 deep in an unknown field", $"[{Valid($",\"x\":{string.Concat(Enumerable.Repeat("{\"a\":", 10_000))}1{new string('}', 10_000)}")}]" },
        { "a number beyond double", $"[{Valid().Replace("\"positionMs\":0", "\"positionMs\":1e400", StringComparison.Ordinal)}]" },
        { "a negative number beyond double", $"[{Valid().Replace("\"durationMs\":1000", "\"durationMs\":-1e400", StringComparison.Ordinal)}]" },
        { "a 10,000-digit integer", $"[{Valid().Replace("\"seq\":0", "\"seq\":" + new string('9', 10_000), StringComparison.Ordinal)}]" },
        { "NaN", $"[{Valid().Replace("\"seq\":0", "\"seq\":NaN", StringComparison.Ordinal)}]" },
        { "Infinity", $"[{Valid().Replace("\"seq\":0", "\"seq\":Infinity", StringComparison.Ordinal)}]" },
        { "a fraction that rounds to an integer", $"[{Valid().Replace("\"seq\":0", "\"seq\":0.0000000000000000000001", StringComparison.Ordinal)}]" },
        { "a duplicate key deep inside an unknown field", $"[{Valid(",\"x\":{\"y\":[{\"a\":1,\"a\":2}]}")}]" },
        { "an escaped NUL in memberId", $"[{Valid(member: "a\\u0000b")}]" },
        { "an escaped NUL in device", $"[{Valid(",\"device\":\"tv\\u0000\"")}]" },
        { "a lone surrogate in device", $"[{Valid(",\"device\":\"\\ud800\"")}]" },
        { "a lone surrogate in eventId", $"[{Valid(eventId: "\\udfff")}]" },
        { "a 100,000-character eventId", $"[{Valid(eventId: new string('e', 100_000))}]" },
        { "a 100,000-character device", $"[{Valid($",\"device\":\"{new string('d', 100_000)}\"")}]" },
        { "an unknown field that takes the body over 1 MiB", $"[{Valid($",\"x\":\"{new string('x', 1_100_000)}\"")}]" },
        { "501 events", $"[{string.Join(',', Enumerable.Range(0, 501).Select(i => Valid(eventId: $"e{i}")))}]" },
        { "a top-level string", "\"[]\"" },
        { "a top-level number", "1e400" },
        { "only whitespace", "   \n\t  " },
        { "a byte order mark and nothing else", "\uFEFF" },
        { "comments", $"[/* hi */{Valid()}]" },
        { "a trailing comma", $"[{Valid()},]" },
        { "single quotes", "[{'eventId':'x'}]" },
    };

    [Theory]
    [MemberData(nameof(HostileBodies))]
    public async Task A_hostile_body_is_a_4xx(string what, string body)
    {
        using var response = await _api.PostAsync(body);

        await AssertRefusedAsync(response, what);
    }

    public static TheoryData<string, byte[]> HostileBytes => new()
    {
        { "0xFF in eventId", Bytes("[{\"eventId\":\"a", [0xFF], "b\"}]") },
        { "an overlong encoding of '/' in memberId", Bytes("[{\"memberId\":\"a", [0xC0, 0xAF], "\"}]") },
        { "a UTF-8-encoded surrogate in titleId", Bytes("[{\"titleId\":\"", [0xED, 0xA0, 0x80], "\"}]") },
        { "invalid UTF-8 in a key", Bytes("[{\"", [0xC3, 0x28], "\":1}]") },
        { "a sequence cut by the end of the body", Bytes("[{\"device\":\"", [0xE2, 0x82], "") },
        { "a raw NUL between tokens", Bytes("[", [0x00], "{}]") },
        { "a raw NUL inside a string", Bytes("[{\"eventId\":\"a", [0x00], "b\"}]") },
        { "UTF-16 instead of UTF-8", Encoding.Unicode.GetBytes("[{\"eventId\":\"a\"}]") },
    };

    [Theory]
    [MemberData(nameof(HostileBytes))]
    public async Task Hostile_bytes_are_a_4xx(string what, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = content };
        ContractClient.Authorize(request, TestCredentials.IngestKey);
        using var response = await _api.Http.SendAsync(request);

        await AssertRefusedAsync(response, what);
    }

    public static TheoryData<string> HostileIds => new()
    {
        "../../etc/passwd",
        "..\\..\\windows",
        "%2e%2e%2f",
        "x' OR '1'='1",
        "'; DROP TABLE sessions; --",
        "\" OR \"\"=\"",
        "a;b",
        "a b",
        "$(reboot)",
        "*",
        "%",
        "a\u00e9",
        "",
    };

    [Theory]
    [MemberData(nameof(HostileIds))]
    public async Task Path_traversal_and_sql_metacharacters_in_any_body_id_are_400s(string id)
    {
        foreach (var field in new[] { "eventId", "memberId", "titleId", "sessionId" })
        {
            var e = Ev.Make("hm", "t");
            e[field] = id;
            using var response = await _api.PostAsync(Ev.Batch(e));
            await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
        }
    }

    public static TheoryData<string> HostileUrlIds => new()
    {
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e",
        "x'%20OR%20'1'='1",
        "%27%3B%20DROP%20TABLE%20items%3B%20--",
        "%C3%28",
        "%E2%82",
        "a%20b",
        "%22",
        new string('m', 65),
    };

    [Theory]
    [MemberData(nameof(HostileUrlIds))]
    public async Task Path_traversal_and_sql_metacharacters_in_any_url_id_are_4xx(string id)
    {
        var cases = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Get, $"/v1/members/{id}/history"),
            (HttpMethod.Delete, $"/v1/members/{id}/history"),
            (HttpMethod.Get, $"/v1/members/{id}/history/t"),
            (HttpMethod.Get, $"/v1/members/m/history/{id}"),
            (HttpMethod.Delete, $"/v1/members/m/history/{id}"),
            (HttpMethod.Get, $"/v1/members/m/history?cursor={id}"),
            (HttpMethod.Get, $"/v1/members/m/history?limit={id}"),
            (HttpMethod.Get, $"/v1/changes?after={id}"),
            (HttpMethod.Post, $"/v1/admin/dead-letters/{id}/replay"),
            (HttpMethod.Delete, $"/v1/admin/dead-letters/{id}"),
        };
        foreach (var (method, path) in cases)
        {
            using var response = await _api.SendAsync(method, path, TestCredentials.ServiceKey);
            await AssertRefusedAsync(response, $"{method} {path}");
        }
    }

    public static TheoryData<string> HostileCredentials => new()
    {
        // alg=none with a signature part, an empty key, a key id that names a file, and a giant token.
        TestCredentials.UnsignedToken("m1") + "c2lnbmF0dXJl",
        Forge("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"../../../../dev/null\"}", "m1", secret: ""),
        Forge("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"crit\":[\"x\"],\"x\":1}", "m1"),
        Forge("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", "m1"),
        TestCredentials.MemberToken("m1") + "x",
        TestCredentials.MemberToken("m1", expiresIn: TimeSpan.FromMinutes(-2)),
        "eyJhbGciOiJIUzI1NiJ9." + new string('A', 6000) + ".sig",
        "..",
        "Bearer",
        TestCredentials.ServiceKey + " " + TestCredentials.ServiceKey,
        "'; DROP TABLE items; --",
    };

    [Theory]
    [MemberData(nameof(HostileCredentials))]
    public async Task Forged_and_malformed_credentials_are_401s(string credential)
    {
        using var response = await _api.SendAsync(HttpMethod.Get, "/v1/members/m1/history", credential);

        await ContractClient.ProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_member_token_whose_subject_is_hostile_reaches_no_other_member()
    {
        foreach (var sub in new[] { "../m2", "m2' OR '1'='1", "*" })
        {
            // A subject that is no member id makes the token invalid (401); any other refusal would do as well.
            using var response = await _api.SendAsync(HttpMethod.Get, "/v1/members/m2/history", TestCredentials.MemberToken(sub));
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"sub '{sub}': {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Keys_in_the_query_string_or_in_two_authorization_headers_are_not_credentials()
    {
        using (var post = await _api.PostAsync(Ev.Batch(Ev.Make("hm", "t")), credential: null))
        {
            await ContractClient.ProblemAsync(post, HttpStatusCode.Unauthorized);
        }

        foreach (var path in new[] { $"/v1/playback/events?access_token={TestCredentials.IngestKey}", $"/v1/admin/dead-letters?api_key={TestCredentials.ServiceKey}", $"/v1/changes?key={TestCredentials.ServiceKey}" })
        {
            using var response = await _api.SendAsync(path.StartsWith("/v1/playback", StringComparison.Ordinal) ? HttpMethod.Post : HttpMethod.Get, path, null);
            await ContractClient.ProblemAsync(response, HttpStatusCode.Unauthorized);
        }

        using var twice = new HttpRequestMessage(HttpMethod.Get, "/v1/changes");
        twice.Headers.TryAddWithoutValidation("Authorization", ["Bearer " + TestCredentials.ServiceKey, "Bearer " + TestCredentials.ServiceKey]);
        using var twiceResponse = await _api.Http.SendAsync(twice);
        await AssertRefusedAsync(twiceResponse, "two Authorization headers");
    }

    public static TheoryData<string, string> OddRequests => new()
    {
        { "PUT", "/v1/playback/events" },
        { "PATCH", "/v1/playback/events" },
        { "GET", "/v1/playback/events" },
        { "OPTIONS", "/v1/playback/events" },
        { "TRACE", "/v1/members/m/history" },
        { "PROPFIND", "/v1/members/m/history" },
        { "POST", "/v1/members/m/history" },
        { "PUT", "/v1/changes" },
        { "DELETE", "/v1/changes" },
        { "GET", "/v1/members//history" },
        { "GET", "/v1/members/m/history/t/extra" },
        { "GET", "/v1/%2e%2e/%2e%2e/etc/passwd" },
        { "GET", "/v1/admin/dead-letters/x" },
        { "GET", "/" + new string('a', 6000) },
    };

    [Theory]
    [MemberData(nameof(OddRequests))]
    public async Task Odd_methods_and_paths_are_4xx(string method, string path)
    {
        using var response = await _api.SendAsync(new HttpMethod(method), path, TestCredentials.ServiceKey);

        await AssertRefusedAsync(response, $"{method} {path}");
    }

    [Fact]
    public async Task After_all_of_it_the_server_is_ready_and_takes_a_good_batch()
    {
        using (var ready = await _api.Http.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        var member = Ev.NewId("m");
        await _api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "after")));
        await _api.WaitForTitleAsync(member, "after");
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string what)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status is >= 400 and < 500, $"{what}: expected a 4xx, got {status}: {(text.Length > 300 ? text[..300] : text)}");
    }

    private static byte[] Bytes(string before, byte[] middle, string after) => [.. Encoding.UTF8.GetBytes(before), .. middle, .. Encoding.UTF8.GetBytes(after)];

    /// <summary>A token with the given header, signed with the right secret unless told: what only the header makes wrong.</summary>
    private static string Forge(string header, string sub, string secret = TestCredentials.Secret)
    {
        var head = Base64UrlEncoder.Encode(header);
        var payload = Base64UrlEncoder.Encode($"{{\"sub\":\"{sub}\",\"exp\":{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}}}");
        using var hmac = new System.Security.Cryptography.HMACSHA256(Encoding.UTF8.GetBytes(secret));
        var signature = Base64UrlEncoder.Encode(hmac.ComputeHash(Encoding.ASCII.GetBytes($"{head}.{payload}")));
        return $"{head}.{payload}.{signature}";
    }
}
