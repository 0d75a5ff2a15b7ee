using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Posts batches from several concurrent clients and remembers exactly which events were acknowledged (202).
/// Every event is the only event of its (member, title), so its item is fully determined by it: an acknowledged
/// event that is missing, or counted twice, shows directly.
/// </summary>
public sealed class LoadDriver(string ingestKey, string prefix)
{
    private readonly ConcurrentDictionary<string, JsonObject> _acknowledged = new();
    private readonly ConcurrentDictionary<string, JsonObject> _sent = new();
    private readonly ConcurrentDictionary<int, int> _statuses = new();
    private readonly ConcurrentQueue<IReadOnlyList<string>> _batches = new();
    private long _titles;
    private int _withoutRetryAfter;

    public IReadOnlyDictionary<string, JsonObject> Acknowledged => _acknowledged;

    public IReadOnlyDictionary<string, JsonObject> Sent => _sent;

    /// <summary>How many requests got each status; 0 counts requests that got no answer (transport error, client timeout).</summary>
    public IReadOnlyDictionary<int, int> Statuses => _statuses;

    /// <summary>429 and 503 answers that came without a Retry-After header.</summary>
    public int RefusalsWithoutRetryAfter => Volatile.Read(ref _withoutRetryAfter);

    /// <summary>The keys (member/title) of every batch sent, whatever its answer: one member per batch.</summary>
    public IEnumerable<IReadOnlyList<string>> Batches => _batches;

    public int Members { get; init; } = 20;

    public int BatchSize { get; init; } = 50;

    /// <summary>
    /// The events per second all clients together offer at most (null: as fast as answers come). A test whose backlog
    /// must drain within its timeout offers less than processing takes, so the run's length, not the machine's speed,
    /// bounds what it has to verify.
    /// </summary>
    public int? EventsPerSecond { get; init; }

    /// <summary>Runs <paramref name="clients"/> loops against each URL until <paramref name="stop"/> fires; transport errors end a request, not the loop.</summary>
    public async Task RunAsync(Func<HttpClient> client, int clients, CancellationToken stop)
    {
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var http = client();
            using var pace = EventsPerSecond is { } rate ? new PeriodicTimer(TimeSpan.FromSeconds((double)clients * BatchSize / rate)) : null;
            while (!stop.IsCancellationRequested)
            {
                await PostOneAsync(http, c, stop);
                if (pace is not null && !await WaitAsync(pace, stop))
                {
                    return;
                }
            }
        })));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer pace, CancellationToken stop)
    {
        try
        {
            return await pace.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async Task<bool> PostOneAsync(HttpClient http, int clientIndex, CancellationToken cancellationToken)
    {
        var member = $"{prefix}-m{clientIndex % Members}";
        var batch = new JsonArray();
        var events = new List<JsonObject>();
        for (var i = 0; i < BatchSize; i++)
        {
            var n = Interlocked.Increment(ref _titles);
            var e = new JsonObject
            {
                ["eventId"] = $"{prefix}-e{n}",
                ["memberId"] = member,
                ["titleId"] = $"t{n}",
                ["sessionId"] = "s",
                ["seq"] = 0,
                ["type"] = "progress",
                ["positionMs"] = n % 100_000,
                ["durationMs"] = 100_000,
                ["timestamp"] = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            };
            events.Add(e);
            batch.Add(e.DeepClone());
            _sent[$"{member}/t{n}"] = e;
        }

        _batches.Enqueue([.. events.Select(e => $"{member}/{(string)e["titleId"]!}")]);

        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events")
            {
                Content = new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + ingestKey);
            using var response = await http.SendAsync(request, CancellationToken.None);
            _statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests && response.Headers.RetryAfter is null)
            {
                Interlocked.Increment(ref _withoutRetryAfter);
            }

            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                return false;
            }

            foreach (var e in events)
            {
                _acknowledged[$"{member}/{(string)e["titleId"]!}"] = e;
            }

            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            _statuses.AddOrUpdate(0, 1, (_, n) => n + 1);
            return false;
        }
    }

    /// <summary>"202×n, 503×m, ..." for assertion messages.</summary>
    public string StatusSummary() => string.Join(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{(s.Key == 0 ? "no answer" : s.Key.ToString(CultureInfo.InvariantCulture))}×{s.Value}"));

    public IEnumerable<string> MembersUsed => _sent.Keys.Select(k => k[..k.IndexOf('/', StringComparison.Ordinal)]).Distinct();
}
