using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Hostile;

/// <summary>
/// Hostile requests that only a real Kestrel sees (the in-process test host neither parses HTTP nor enforces
/// Kestrel's limits): oversized headers, too many headers, a huge request line, NULs in the path and in headers,
/// bytes that are not HTTP. Sent on raw sockets, so that no client library tidies them up first.
/// </summary>
public sealed class HostileTransportTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("vh-hostile");
    private ServerProcess _server = null!;

    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync(TestCredentials.ServerSettings(_data.Path));

    /// <summary>Any 4xx will do: which one depends on the order in which the server checks (e.g. the credential first).</summary>
    private const int AnyClientError = 0;

    public static TheoryData<string, string, int> HostileRequests => new()
    {
        { "a 40 KB header", Request("GET", "/v1/changes", $"X-Big: {new string('a', 40 * 1024)}\r\n"), 431 },
        { "100 headers", Request("GET", "/v1/changes", string.Concat(Enumerable.Range(0, 100).Select(i => $"X-H{i}: v\r\n"))), 431 },
        { "a 10 KB request line", Request("GET", "/v1/members/" + new string('m', 10 * 1024) + "/history", ""), 414 },
        { "a percent-encoded NUL in a path id", Request("GET", "/v1/members/a%00b/history", ""), 400 },
        { "a raw NUL in a header", Request("GET", "/v1/changes", "X-Nul: a\0b\r\n"), 400 },
        { "no Host header", "GET /v1/changes HTTP/1.1\r\nConnection: close\r\n\r\n", 400 },
        { "a body longer than its Content-Length says, with a second request smuggled behind", Request("POST", "/v1/playback/events", "Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nGET /v1/changes HTTP/1.1\r\nHost: x\r\n\r\n"), AnyClientError },
        { "not HTTP at all", "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003 garbage\r\n\r\n", 400 },
    };

    [Theory]
    [MemberData(nameof(HostileRequests))]
    public async Task Requests_kestrel_must_refuse_are_4xx_and_the_server_stays_ready(string what, string request, int expected)
    {
        var (status, _) = await SendRawAsync(request);

        Assert.True(expected == AnyClientError ? status is >= 400 and < 500 : status == expected, $"{what}: expected {(expected == AnyClientError ? "a 4xx" : expected)}, got {status}");
        using var ready = await _server.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var post = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = new StringContent(Ev.Batch(Ev.Make(Ev.NewId("m"), "t")), Encoding.UTF8, "application/json") };
        ContractClient.Authorize(post, TestCredentials.IngestKey);
        using var accepted = await _server.Client.SendAsync(post);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }

    public static TheoryData<string, string> InexactApiPaths => new()
    {
        // Each would otherwise reach another endpoint than its path names, or a 404/405 that depends on where it led.
        { "DELETE", "/v1/members/{m}/history/.." },
        { "DELETE", "/v1/members/{m}/history/%2e%2E" },
        { "DELETE", "/V1/members/{m}/history/.." },
        { "DELETE", "/v1/members/{m}/history/." },
        { "DELETE", "/v1/members/{m}/history/x/.." },
        { "DELETE", "/v1/members/{m}/" },
        { "GET", "/v1/members/{m}/history/.." },
        { "GET", "/v1/members/./history" },
        { "GET", "/v1/members/../history" },
        { "GET", "/v1/members/{m}/history/" },
        { "GET", "/v1/../health/ready" },
        { "GET", "/v1/" },
        { "POST", "/v1/playback/events/" },
        { "POST", "/v1/playback/./events" },
    };

    [Theory]
    [MemberData(nameof(InexactApiPaths))]
    public async Task An_api_path_with_a_dot_segment_or_a_trailing_slash_is_a_400_with_or_without_a_credential_and_changes_nothing(string method, string path)
    {
        var member = Ev.NewId("m");
        using (var post = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = new StringContent(Ev.Batch(Ev.Make(member, "t")), Encoding.UTF8, "application/json") })
        {
            ContractClient.Authorize(post, TestCredentials.IngestKey);
            using var accepted = await _server.Client.SendAsync(post);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var client = new ContractClient(_server.Client, eventuallyConsistent: true);
        await client.WaitForTitleAsync(member, "t");
        var target = path.Replace("{m}", member, StringComparison.Ordinal);
        var body = method == "POST" ? Ev.Batch(Ev.Make(member, "u")) : string.Empty;

        var (status, answer) = await SendRawAsync(Request(method, target, JsonHeaders(body), body), wholeAnswer: true);
        var (anonymous, _) = await SendRawAsync(Request(method, target, JsonHeaders(body), body, credential: null), wholeAnswer: true);

        Assert.True(status == 400, $"{method} {target}: expected 400, got {status}: {answer}");
        Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);
        Assert.True(anonymous == 400, $"{method} {target} without a credential: expected 400, got {anonymous}");
        var items = await client.ReadAllAsync(member);
        Assert.Equal("t", (string)Assert.Single(items)["titleId"]!);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _data.Dispose();
    }

    private static string Request(string method, string path, string headers, string body = "", string? credential = TestCredentials.ServiceKey) =>
        $"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{(credential is null ? string.Empty : $"Authorization: Bearer {credential}\r\n")}{headers}Connection: close\r\n\r\n{body}";

    /// <summary>The headers of a JSON body (none for an empty one).</summary>
    private static string JsonHeaders(string body) =>
        body.Length > 0 ? $"Content-Type: application/json\r\nContent-Length: {Encoding.Latin1.GetByteCount(body)}\r\n" : string.Empty;

    /// <summary>
    /// Sends the bytes as they are (Latin-1, so every char is one byte) and returns the status of the first answer, with
    /// what was received: the status line only, or with <paramref name="wholeAnswer"/> everything until the server
    /// closes the connection (each request asks it to).
    /// </summary>
    private async Task<(int Status, string Answer)> SendRawAsync(string request, bool wholeAnswer = false)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _server.Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request), timeout.Token);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        while (wholeAnswer || !Encoding.Latin1.GetString(received.ToArray()).Contains("\r\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0)
            {
                break;
            }

            received.Write(buffer, 0, n);
        }

        var answer = Encoding.Latin1.GetString(received.ToArray());
        var statusLine = answer.Split("\r\n")[0];
        var parts = statusLine.Split(' ');
        return parts.Length >= 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status)
            ? (status, answer)
            : throw new InvalidOperationException($"No HTTP answer: '{statusLine}'");
    }
}
