using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ViewingHistory.Server.Hosting;

/// <summary>
/// The traffic of the warm-up (<see cref="StartWarmUp"/>): what a fleet and its members send, over real HTTP, so that
/// what gets compiled is what the service will run. <see cref="Connections"/> loops each play their own members'
/// sessions (start, progress heartbeats, a pause and resume, a stop, then the next session): mostly single-event
/// requests, one in twenty a 100-event batch of different members, one in ten a member's reads with a member token
/// (history page, then the same page conditionally, one item, continue watching).
/// </summary>
internal sealed class WarmUpTraffic : IDisposable
{
    /// <summary>
    /// Requests in flight at once. Enough to run every path concurrently, few enough to leave the JIT's one background
    /// thread a core: with 32 the JIT went quiet after ~40 s, with 8 after ~30 (runtime defaults; benchmarks/NOTES.md).
    /// </summary>
    public const int Connections = 8;

    private const int MembersPerLoop = 64;
    private const int BatchEvents = 100;
    private const int EventsPerSession = 40;

    private readonly HttpClient _client;
    private readonly Keys _keys;
    private readonly string _tag = Convert.ToHexStringLower(BitConverter.GetBytes(Environment.TickCount64));
    private long _requests;
    private long _failed;

    public WarmUpTraffic(Uri baseAddress, Keys keys)
    {
        _keys = keys;
        _client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Connections, UseProxy = false })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    /// <summary>The scratch copy's credentials, generated for it alone.</summary>
    internal sealed record Keys(string Ingest, string Service, string MemberTokenSecret);

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests answered with anything but a 2xx or 304, or not answered.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Waits until the scratch copy's <c>/health/ready</c> answers 200.</summary>
    /// <exception cref="TimeoutException">It did not within <paramref name="timeout"/>.</exception>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var response = await _client.GetAsync("/health/ready", cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"The warm-up's scratch copy was not ready within {timeout.TotalSeconds:N0} s.");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Drives the traffic until <paramref name="stop"/>; a request cut by the stop is not counted.</summary>
    public Task RunAsync(CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, Connections).Select(loop => Task.Run(() => LoopAsync(loop, stop), CancellationToken.None)));

    public void Dispose() => _client.Dispose();

    private async Task LoopAsync(int loop, CancellationToken stop)
    {
        var sessions = new Session[MembersPerLoop];
        for (var m = 0; m < sessions.Length; m++)
        {
            sessions[m] = new Session($"warm-up.{_tag}.{loop}.{m}", $"title-{m % 9}");
        }

        var tokens = new string?[MembersPerLoop];
        for (var i = 0L; !stop.IsCancellationRequested; i++)
        {
            try
            {
                if (i % 10 == 9)
                {
                    var m = (int)(i / 10 % MembersPerLoop);
                    await ReadAsync(sessions[m], tokens[m] ??= MemberToken(sessions[m].Member), stop);
                }
                else if (i % 20 == 3)
                {
                    var body = new StringBuilder("[");
                    for (var e = 0; e < BatchEvents; e++)
                    {
                        AppendEvent(body.Append(e == 0 ? "" : ","), sessions[(int)((i + e) % MembersPerLoop)]);
                    }

                    await IngestAsync(body.Append(']').ToString(), stop);
                }
                else
                {
                    // One in eight on a connection the server then closes: devices connect anew all the time, and
                    // the accept path is as hot as the request path for a fleet.
                    await IngestAsync(AppendEvent(new StringBuilder("["), sessions[(int)(i % MembersPerLoop)]).Append(']').ToString(), stop, close: i % 8 == 5);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref _failed);
                Interlocked.Increment(ref _requests);
            }
        }
    }

    private async Task IngestAsync(string body, CancellationToken stop, bool close = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.ConnectionClose = close;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _keys.Ingest);
        await SendAsync(request, stop);
    }

    private async Task ReadAsync(Session session, string token, CancellationToken stop)
    {
        var page = $"/v1/members/{session.Member}/history?limit=20";
        var etag = await SendAsync(Get(page, token), stop);
        var conditional = Get(page, token);
        if (etag is not null)
        {
            conditional.Headers.IfNoneMatch.Add(etag);
        }

        await SendAsync(conditional, stop);
        await SendAsync(Get($"/v1/members/{session.Member}/history/{session.Title}", token), stop);
        await SendAsync(Get($"/v1/members/{session.Member}/continue-watching", token), stop);
    }

    private static HttpRequestMessage Get(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    /// <summary>Sends and drains the answer; returns its ETag, if any.</summary>
    private async Task<EntityTagHeaderValue?> SendAsync(HttpRequestMessage request, CancellationToken stop)
    {
        using (request)
        {
            using var response = await _client.SendAsync(request, stop);
            await response.Content.CopyToAsync(Stream.Null, stop);
            Interlocked.Increment(ref _requests);
            // A read of a title whose events are still on their way is a 404: a real answer of the read path.
            if (!response.IsSuccessStatusCode && response.StatusCode is not (HttpStatusCode.NotModified or HttpStatusCode.NotFound))
            {
                Interlocked.Increment(ref _failed);
            }

            return response.Headers.ETag;
        }
    }

    private string MemberToken(string member) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Claims = new Dictionary<string, object> { ["sub"] = member },
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(_keys.MemberTokenSecret)), SecurityAlgorithms.HmacSha256),
    });

    /// <summary>Appends the session's next event: start, heartbeats, a pause and a resume, a stop; then a new session.</summary>
    private static StringBuilder AppendEvent(StringBuilder body, Session session)
    {
        var seq = session.Seq++;
        var type = seq switch
        {
            0 => "start",
            EventsPerSession - 1 => "stop",
            _ when seq % 13 == 6 => "pause",
            _ when seq % 13 == 7 => "resume",
            _ => "progress",
        };
        body.Append(CultureInfo.InvariantCulture,
            $$"""{"eventId":"{{session.Member}}.{{session.Number}}.{{seq}}","memberId":"{{session.Member}}","titleId":"{{session.Title}}","sessionId":"s{{session.Number}}","seq":{{seq}},"type":"{{type}}","positionMs":{{seq * 10_000}},"durationMs":3600000,"timestamp":"{{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}}"}""");
        if (session.Seq == EventsPerSession)
        {
            session.Seq = 0;
            session.Number++;
        }

        return body;
    }

    /// <summary>One member's current playback, owned by one loop.</summary>
    private sealed class Session(string member, string title)
    {
        public string Member { get; } = member;

        public string Title { get; } = title;

        public int Number { get; set; }

        public int Seq { get; set; }
    }
}
