using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ViewingHistory.Core.Events;

namespace ViewingHistory.Cli.Simulation;

/// <summary>An item as the server shows it.</summary>
internal sealed record ServerItem(string TitleId, string LastWatchedAt, long PositionMs, long DurationMs, double Progress, bool Completed, int Sessions);

/// <summary>How a batch ended: accepted (202), refused for good (nothing applied), or never answered (unknown).</summary>
internal enum BatchOutcome
{
    Accepted,
    Refused,
    Unknown,
}

/// <summary>The server's HTTP API as the simulator uses it, with the retries the contract asks of a client.</summary>
internal sealed class ServiceClient(SimulationOptions options, SimulationStats stats) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = options.Url,
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>Server clock minus local clock, in ms, from the <c>Date</c> header (1 s resolution).</summary>
    public long ClockOffsetMs { get; private set; }

    public long ServerNowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + ClockOffsetMs;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var response = await _http.GetAsync("/health/live", cancellationToken);
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        response.EnsureSuccessStatusCode();
        if (response.Headers.Date is { } date)
        {
            ClockOffsetMs = date.ToUnixTimeMilliseconds() + 500 - ((before + after) / 2);
        }
    }

    /// <summary>
    /// Sends a batch until it is answered 202, resending on 429/503 (after <c>Retry-After</c>), on 5xx and on
    /// connection errors: resending is always safe. Gives up at <paramref name="giveUpAt"/>.
    /// </summary>
    public async Task<BatchOutcome> SendAsync(IReadOnlyList<PlaybackEvent> batch, DateTime giveUpAt, CancellationToken cancellationToken)
    {
        var body = EventJson.Serialize(batch);
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            TimeSpan wait;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.IngestKey);
                stats.OnSent(batch.Count);
                using var response = await _http.SendAsync(request, cancellationToken);
                switch (response.StatusCode)
                {
                    case HttpStatusCode.Accepted:
                        stats.OnAccepted(batch.Count);
                        return BatchOutcome.Accepted;
                    case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                        throw new InvalidOperationException($"The ingest key was refused ({(int)response.StatusCode}): pass --ingest-key or --data-dir.");
                    case HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable:
                        wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                        stats.OnRetry();
                        break;
                    case >= HttpStatusCode.InternalServerError:
                        stats.OnError($"ingest answered {(int)response.StatusCode}; resending");
                        wait = backoff;
                        break;
                    default:
                        stats.OnError($"ingest refused a batch with {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                        return BatchOutcome.Refused;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                stats.OnRetry();
                stats.LastError = ex.Message;
                wait = backoff;
            }

            if (DateTime.UtcNow + wait > giveUpAt)
            {
                return BatchOutcome.Unknown;
            }

            await Task.Delay(wait, cancellationToken);
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5000));
        }
    }

    /// <summary>
    /// Hides one title (or every title) and returns the interval of server time in which the hide was accepted:
    /// the request's own bracket on the server's clock, widened by the <c>Date</c> header's second resolution.
    /// Null when no 204 came back (the hide may or may not have happened).
    /// </summary>
    public async Task<(long FromMs, long ToMs)?> HideAsync(string memberId, string? titleId, CancellationToken cancellationToken)
    {
        var path = $"/v1/members/{Uri.EscapeDataString(memberId)}/history" + (titleId is null ? string.Empty : "/" + Uri.EscapeDataString(titleId));
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var before = ServerNowMs;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Delete, path);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ServiceKey);
                using var response = await _http.SendAsync(request, cancellationToken);
                var after = ServerNowMs;
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    var date = response.Headers.Date?.ToUnixTimeMilliseconds() ?? before;
                    return (Math.Min(before, date) - 2000, Math.Max(after, date + 1000) + 2000);
                }

                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    throw new InvalidOperationException($"The service key was refused ({(int)response.StatusCode}): pass --service-key or --data-dir.");
                }

                stats.OnRetry();
            }
            catch (HttpRequestException ex)
            {
                stats.OnRetry();
                stats.LastError = ex.Message;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200 << attempt), cancellationToken);
        }

        return null;
    }

    /// <summary>The member's whole history, following <c>nextCursor</c>.</summary>
    public async Task<List<ServerItem>> ReadHistoryAsync(string memberId, CancellationToken cancellationToken)
    {
        var items = new List<ServerItem>();
        string? cursor = null;
        do
        {
            var page = await GetPageAsync(memberId, cursor, cancellationToken);
            items.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return items;
    }

    private async Task<Page> GetPageAsync(string memberId, string? cursor, CancellationToken cancellationToken)
    {
        var path = $"/v1/members/{Uri.EscapeDataString(memberId)}/history?limit=100" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor));
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ServiceKey);
            try
            {
                using var response = await _http.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return await response.Content.ReadFromJsonAsync<Page>(Json, cancellationToken) ?? throw new InvalidOperationException("An empty history page.");
                }

                if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable) || attempt >= 5)
                {
                    throw new InvalidOperationException($"Reading {memberId}'s history answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
            catch (HttpRequestException) when (attempt < 5)
            {
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200 << attempt), cancellationToken);
        }
    }

    public void Dispose() => _http.Dispose();

    private sealed record Page(List<ServerItem> Items, string? NextCursor);
}
