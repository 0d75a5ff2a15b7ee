using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;

namespace ViewingHistory.EndToEnd.Tests.Chaos;

/// <summary>One client of <see cref="ChaosWorkload"/>: a loop of batches, each resent until it is answered 202.</summary>
public sealed class ChaosWriter(ChaosWorkload workload, int index, Random random, IReadOnlyList<ChaosTitle> regular, IReadOnlyList<ChaosTitle> hideable)
{
    private readonly List<(PlaybackEvent Event, int ReleaseAt)> _heldBack = [];
    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(3), PooledConnectionLifetime = TimeSpan.FromSeconds(20) })
    {
        // Generous for a loaded machine; a request cut off by it is simply unanswered and resent.
        Timeout = TimeSpan.FromSeconds(15),
    };

    private int _batches;
    private long _events;
    private int _attempt;

    public async Task RunAsync(CancellationToken stop, CancellationToken settle)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (random.NextDouble() < workload.Options.HideChance && hideable.Where(t => !t.Hidden && t.Played).ToList() is { Count: > 0 } candidates)
                {
                    await HideAsync(candidates[random.Next(candidates.Count)], settle);
                }

                await PostUntilAcceptedAsync(Compose(), settle);
                try
                {
                    await Task.Delay(random.Next(workload.Options.PauseMs.Min, workload.Options.PauseMs.Max), stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            if (_heldBack.Count > 0)
            {
                var rest = _heldBack.Select(h => h.Event).ToList();
                _heldBack.Clear();
                await PostUntilAcceptedAsync(rest, settle);
            }
        }
        finally
        {
            _http.Dispose();
        }
    }

    private List<PlaybackEvent> Compose()
    {
        _batches++;
        var size = random.Next(10) switch
        {
            < 6 => random.Next(1, 11),
            < 9 => random.Next(10, 51),
            _ => random.Next(50, 201),
        };
        var batch = new List<PlaybackEvent>(size + 8);
        for (var i = 0; i < size; i++)
        {
            var title = hideable.Count > 0 && random.NextDouble() < 0.2 ? hideable[random.Next(hideable.Count)] : regular[random.Next(regular.Count)];
            var e = title.Next($"{workload.Options.Prefix}-w{index.ToString(CultureInfo.InvariantCulture)}-{(++_events).ToString(CultureInfo.InvariantCulture)}", random);
            workload.Generated(e);
            if (random.NextDouble() < 0.05)
            {
                _heldBack.Add((e, _batches + random.Next(1, 5)));
            }
            else
            {
                batch.Add(e);
            }
        }

        // Held-back events arrive after events that the device emitted later.
        for (var i = _heldBack.Count - 1; i >= 0; i--)
        {
            if (_heldBack[i].ReleaseAt <= _batches)
            {
                batch.Add(_heldBack[i].Event);
                _heldBack.RemoveAt(i);
            }
        }

        // Duplicates: events sent before (by any writer, answered or not), and now and then one twice in the same body.
        if (random.NextDouble() < 0.3)
        {
            for (var i = random.Next(1, 6); i > 0; i--)
            {
                if (workload.SomeRecent(random) is { } again)
                {
                    batch.Add(again);
                }
            }
        }

        if (batch.Count > 0 && random.NextDouble() < 0.05)
        {
            batch.Add(batch[random.Next(batch.Count)]);
        }

        if (batch.Count == 0)
        {
            var title = regular[random.Next(regular.Count)];
            var e = title.Next($"{workload.Options.Prefix}-w{index.ToString(CultureInfo.InvariantCulture)}-{(++_events).ToString(CultureInfo.InvariantCulture)}", random);
            workload.Generated(e);
            batch.Add(e);
        }

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batch));
        return batch;
    }

    private async Task PostUntilAcceptedAsync(List<PlaybackEvent> batch, CancellationToken settle)
    {
        var body = Body(batch);
        workload.Sent(batch);
        var expected = $"{{\"accepted\":{batch.Count.ToString(CultureInfo.InvariantCulture)}}}";
        while (true)
        {
            var answer = await SendAsync(HttpMethod.Post, workload.Options.Ingest, "/v1/playback/events", workload.Options.IngestKey, body, settle);
            if (answer is { Status: HttpStatusCode.Accepted } accepted)
            {
                if (accepted.Body != expected)
                {
                    workload.Failed($"POST answered 202 with {accepted.Body}, expected {expected}");
                }

                workload.Acknowledge(batch);
                return;
            }

            await BackOffAsync("POST", answer, settle);
        }
    }

    /// <summary>
    /// Hides a title, resending until the 204. The model's mark is the time before the first attempt: the server's is
    /// somewhere up to the answer, and no session of the title has a timestamp in between.
    /// </summary>
    private async Task HideAsync(ChaosTitle title, CancellationToken settle)
    {
        var requestedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1;
        while (true)
        {
            var answer = await SendAsync(HttpMethod.Delete, workload.Options.Api, $"/v1/members/{title.MemberId}/history/{title.TitleId}", workload.Options.ServiceKey, null, settle);
            if (answer is { Status: HttpStatusCode.NoContent })
            {
                break;
            }

            await BackOffAsync("DELETE", answer, settle);
        }

        var answeredMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1;
        workload.Hid(new HideMark(title.MemberId, title.TitleId, requestedMs));
        title.MarkHidden(answeredMs);
        workload.Log.Write($"writer {index.ToString(CultureInfo.InvariantCulture)} hid {title.MemberId}/{title.TitleId} (requested at {Timestamps.Format(requestedMs)}, answered {Timestamps.Format(answeredMs)})");
    }

    private async Task BackOffAsync(string method, ChaosAnswer? answer, CancellationToken settle)
    {
        TimeSpan delay;
        if (answer is null)
        {
            delay = TimeSpan.FromMilliseconds(random.Next(50, 250));
        }
        else if (answer.Status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests)
        {
            if (answer.RetryAfter is null)
            {
                workload.Failed($"{method} answered {(int)answer.Status} without Retry-After: {Describe(answer.Body)}");
            }

            // Honour Retry-After, capped: the run is short and a resend is always safe.
            delay = TimeSpan.FromMilliseconds(Math.Min(answer.RetryAfter?.TotalMilliseconds ?? 500, 1_000) + random.Next(50));
        }
        else
        {
            workload.Failed($"{method} answered {(int)answer.Status}: {Describe(answer.Body)}");
            delay = TimeSpan.FromMilliseconds(500);
        }

        try
        {
            await Task.Delay(delay, settle);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"writer {index} could not get its {method} answered before the settle deadline; last answer: {answer?.ToString() ?? "none"}; {workload.Summary()}");
        }
    }

    /// <summary>One attempt; null when there was no answer (no node up, connection refused or reset, timeout).</summary>
    private async Task<ChaosAnswer?> SendAsync(HttpMethod method, Func<int, Uri?> target, string path, string key, string? body, CancellationToken settle)
    {
        settle.ThrowIfCancellationRequested();
        var node = target(index + _attempt++);
        if (node is null)
        {
            workload.Answered($"{method} no node up");
            return null;
        }

        using var request = new HttpRequestMessage(method, new Uri(node, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        try
        {
            // Not cancelled by the settle deadline: a request is always left to finish or fail by itself.
            using var response = await _http.SendAsync(request, CancellationToken.None);
            var text = await response.Content.ReadAsStringAsync(CancellationToken.None);
            workload.Answered($"{method} {((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)}");
            return new ChaosAnswer(response.StatusCode, text, response.Headers.RetryAfter?.Delta);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            workload.Answered($"{method} no answer");
            return null;
        }
    }

    /// <summary>A problem's title and detail (not its trace id, so that the same failure is counted once), else the body's start.</summary>
    private static string Describe(string body)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject problem && problem["title"] is not null)
            {
                return $"{problem["title"]} {problem["detail"]}".Trim();
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return body.Length > 200 ? body[..200] : body;
    }

    private static string Body(List<PlaybackEvent> batch) =>
        new JsonArray([.. batch.Select(e =>
        {
            var o = new JsonObject
            {
                ["eventId"] = e.EventId,
                ["memberId"] = e.MemberId,
                ["titleId"] = e.TitleId,
                ["sessionId"] = e.SessionId,
                ["seq"] = e.Seq,
                ["type"] = e.Type.ToWire(),
                ["positionMs"] = e.PositionMs,
                ["durationMs"] = e.DurationMs,
                ["timestamp"] = Timestamps.Format(e.TimestampMs),
            };
            if (e.Device is not null)
            {
                o["device"] = e.Device;
            }

            return (JsonNode)o;
        })]).ToJsonString();
}
