using System.Net;
using System.Net.Http.Headers;
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

        // The first request holds the only slot while its body trickles in.
        var slow = new TricklingContent(Body("slow"));
        using var first = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = slow };
        first.Headers.TryAddWithoutValidation("Authorization", "Bearer " + IngestKey);
        var firstResponse = server.Client.SendAsync(first);
        await slow.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.UntilAsync(
            async () =>
            {
                using var probe = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = new StringContent(Body("probe"), Encoding.UTF8, "application/json") };
                probe.Headers.TryAddWithoutValidation("Authorization", "Bearer " + IngestKey);
                using var second = await server.Client.SendAsync(probe);
                if (second.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    return false;
                }

                Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
                Assert.True(second.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
                return true;
            },
            TimeSpan.FromSeconds(30),
            "a 503 while the slot is held");

        slow.Finish();
        using var done = await firstResponse.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.Accepted, done.StatusCode);
    }

    public void Dispose() => _data.Dispose();

    private static string Body(string member) =>
        $$"""[{"eventId":"{{Guid.NewGuid():N}}","memberId":"{{member}}","titleId":"t","sessionId":"s","seq":0,"type":"start","positionMs":0,"durationMs":1000,"timestamp":"2026-01-01T00:00:00Z"}]""";

    private sealed class TricklingContent : HttpContent
    {
        private readonly byte[] _body;
        private readonly TaskCompletionSource _finish = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TricklingContent(string body)
        {
            _body = Encoding.UTF8.GetBytes(body);
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Finish() => _finish.TrySetResult();

        /// <summary>
        /// Leading whitespace (valid JSON) at a few KB a second until told to finish: the request holds its slot,
        /// and stays above Kestrel's minimum body data rate, so it is not cut off as a slow client meanwhile.
        /// </summary>
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var padding = Encoding.UTF8.GetBytes(new string(' ', 4096));
            for (var i = 0; i < 120 && !_finish.Task.IsCompleted; i++)
            {
                await stream.WriteAsync(padding);
                await stream.FlushAsync();
                Started.TrySetResult();
                await Task.WhenAny(_finish.Task, Task.Delay(TimeSpan.FromMilliseconds(250)));
            }

            await stream.WriteAsync(_body);
        }

        protected override bool TryComputeLength(out long length)
        {
            // Chunked: the padding's length is not known in advance.
            length = 0;
            return false;
        }
    }
}
