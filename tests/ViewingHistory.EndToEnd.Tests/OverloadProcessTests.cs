using System.Net;
using System.Net.Sockets;
using System.Text;
using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>Issue 5 "Overload": requests beyond the in-flight bound are refused at once with 503 + Retry-After, on real sockets.</summary>
public sealed class OverloadProcessTests : IDisposable
{
    private const string IngestKey = "e2e-ingest-key-0123456789";
    private readonly TempDirectory _data = new("vh-e2e-overload");

    [Fact]
    public async Task Requests_beyond_the_in_flight_bound_get_503_with_retry_after()
    {
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["DataDir"] = _data.Path,
            ["Auth:IngestKeys:0"] = IngestKey,
            ["Auth:ServiceKeys:0"] = "e2e-service-key-0123456789",
            ["Auth:MemberTokenSecret"] = "e2e-member-token-secret-0123456789-abcdef",
            ["Ingest:MaxConcurrentRequests"] = "1",
        });

        // One request holds the only slot while its chunked body trickles in over a raw socket: leading whitespace
        // (valid JSON) a few KB a second, above Kestrel's minimum data rate, until the probes are done. A probe can
        // win the race for the slot, and then the held request is the one refused: it is replaced and probed again.
        var held = await HeldRequest.OpenAsync(server.Port);
        try
        {
            var seen = new List<int>();
            await Eventually.UntilAsync(
                async () =>
                {
                    using var probe = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = new StringContent(Body("probe"), Encoding.UTF8, "application/json") };
                    probe.Headers.TryAddWithoutValidation("Authorization", "Bearer " + IngestKey);
                    using var second = await server.Client.SendAsync(probe);
                    seen.Add((int)second.StatusCode);
                    if (second.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
                        Assert.True(second.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
                        return "503";
                    }

                    if (held.WasAnswered)
                    {
                        await held.DisposeAsync();
                        held = await HeldRequest.OpenAsync(server.Port);
                    }

                    return string.Join(", ", seen.TakeLast(5));
                },
                status => status == "503",
                TimeSpan.FromSeconds(30),
                "a 503 while the slot is held");

            // Finish the held request: its body completes and it is accepted.
            var statusLine = await held.CompleteAsync(Encoding.UTF8.GetBytes(Body("slow")));
            Assert.StartsWith("HTTP/1.1 202", statusLine, StringComparison.Ordinal);
        }
        finally
        {
            await held.DisposeAsync();
        }
    }

    public void Dispose() => _data.Dispose();

    private static string Body(string member) =>
        $$"""[{"eventId":"{{Guid.NewGuid():N}}","memberId":"{{member}}","titleId":"t","sessionId":"s","seq":0,"type":"start","positionMs":0,"durationMs":1000,"timestamp":"2026-01-01T00:00:00Z"}]""";

    /// <summary>An ingest request whose chunked body trickles in over a raw socket until <see cref="CompleteAsync"/>.</summary>
    private sealed class HeldRequest : IAsyncDisposable
    {
        private readonly TcpClient _tcp;
        private readonly NetworkStream _socket;
        private readonly CancellationTokenSource _finish = new();
        private readonly Task _trickle;

        private HeldRequest(TcpClient tcp)
        {
            _tcp = tcp;
            _socket = tcp.GetStream();
            _trickle = Task.Run(async () =>
            {
                var chunk = Encoding.ASCII.GetBytes("1000\r\n" + new string(' ', 4096) + "\r\n");
                for (var i = 0; i < 240 && !_finish.IsCancellationRequested; i++)
                {
                    await _socket.WriteAsync(chunk);
                    await Task.Delay(TimeSpan.FromMilliseconds(250), _finish.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            });
        }

        /// <summary>True once the server answered the request before its body was complete (it was refused).</summary>
        public bool WasAnswered => _tcp.Available > 0 || _trickle.IsFaulted;

        public static async Task<HeldRequest> OpenAsync(int port)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(
                $"POST /v1/playback/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {IngestKey}\r\n" +
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
            return new HeldRequest(tcp);
        }

        /// <summary>Sends the rest of the body and returns the response's status line.</summary>
        public async Task<string?> CompleteAsync(byte[] body)
        {
            await _finish.CancelAsync();
            await _trickle;
            await _socket.WriteAsync(Encoding.ASCII.GetBytes($"{body.Length:x}\r\n"));
            await _socket.WriteAsync(body);
            await _socket.WriteAsync("\r\n0\r\n\r\n"u8.ToArray());
            using var reader = new StreamReader(_socket, Encoding.ASCII, leaveOpen: true);
            return await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        public async ValueTask DisposeAsync()
        {
            await _finish.CancelAsync();
            await _trickle.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _tcp.Dispose();
            _finish.Dispose();
        }
    }
}
