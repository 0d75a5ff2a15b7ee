using System.Diagnostics;
using System.Buffers;
using Microsoft.Net.Http.Headers;
using ViewingHistory.Core.Validation;
using ViewingHistory.Pipeline.Ingest;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Queue;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Json;
using ViewingHistory.Server.OpenApi;
using ViewingHistory.Store;

namespace ViewingHistory.Server.Endpoints;

/// <summary><c>POST /v1/playback/events</c> (CONTRACT.md "Ingest").</summary>
internal static class IngestEndpoints
{
    public static RouteGroupBuilder MapIngest(this RouteGroupBuilder v1)
    {
        v1.MapPost("/playback/events", IngestAsync)
            .RequireAuthorization(Policies.Ingest)
            .RequireRateLimiting(IngestAdmission.RatePolicy)
            .WithInFlightLimit()
            .WithName("IngestPlaybackEvents")
            .WithSummary("Accepts 1 to 500 playback events; 202 once they are durable.")
            .Accepts<PlaybackEventInput[]>(ApiAnswers.Json)
            .Answers<IngestAccepted>(StatusCodes.Status202Accepted, 400, 413, 415, 503);
        return v1;
    }

    /// <summary>The endpoint, also run by <see cref="IngestFastPath"/> for the requests it takes.</summary>
    internal static async Task<IResult> IngestAsync(HttpContext http, IngestPipeline pipeline, VhMetrics metrics, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!IsJson(http.Request.ContentType))
        {
            metrics.Rejected("unsupported_media_type");
            return Problems.Status(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the events as 'Content-Type: application/json'.");
        }

        if (http.Request.ContentLength > EventRules.MaxBodyBytes)
        {
            metrics.Rejected("too_large");
            return TooLarge();
        }

        var (buffer, length) = await ReadBodyAsync(http.Request.Body, EventRules.MaxBodyBytes, cancellationToken);
        try
        {
            if (length > EventRules.MaxBodyBytes)
            {
                metrics.Rejected("too_large");
                return TooLarge();
            }

            var parsed = EventBatchParser.Parse(buffer.AsSpan(0, length), time.GetUtcNow().ToUnixTimeMilliseconds());
            if (parsed.BodyError is { } bodyError)
            {
                metrics.Rejected("malformed");
                return Problems.BadRequest(bodyError);
            }

            if (!parsed.IsValid)
            {
                metrics.Rejected("invalid");
                return Problems.Validation($"{parsed.Errors.Count} rule(s) broken; nothing of the batch was applied.", parsed.Errors);
            }

            try
            {
                await pipeline.IngestAsync(parsed.Events, cancellationToken);
            }
            catch (QueueUnavailableException ex)
            {
                metrics.Rejected("queue_unavailable");
                return EngineUnavailable(http, loggers, ex, "The events could not be made durable now.");
            }
            catch (StoreUnavailableException ex)
            {
                metrics.Rejected("store_unavailable");
                return EngineUnavailable(http, loggers, ex, "The store could not apply the batch now.");
            }

            return Results.Json(new IngestAccepted(parsed.Events.Count), ApiJsonContext.Default.IngestAccepted, statusCode: StatusCodes.Status202Accepted);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A 503 whose detail says what could not be done, never why in the engine's words: an engine's message names
    /// files, hosts and settings. The problem's <c>traceId</c> (added by the problem details service) is in the log
    /// entry that holds the exception, so an operator can find the cause.
    /// </summary>
    private static IResult EngineUnavailable(HttpContext http, ILoggerFactory loggers, Exception exception, string what)
    {
        var traceId = Activity.Current?.Id ?? http.TraceIdentifier;
        IngestLog.EngineUnavailable(loggers.CreateLogger(typeof(IngestEndpoints).FullName!), exception, traceId);
        return Problems.Unavailable(StatusCodes.Status503ServiceUnavailable, "Service unavailable", what + " Resend the batch.", 1);
    }

    private static IResult TooLarge() => Problems.Status(StatusCodes.Status413PayloadTooLarge, "Payload too large", "The body may be at most 1 MiB.");

    internal static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) &&
        media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads the body into a pooled buffer, stopping one byte past <paramref name="max"/> (then the caller answers 413).</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(Stream body, int max, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > max)
                    {
                        return (buffer, length);
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, max + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = await body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, max + 1) - length), cancellationToken);
                if (read == 0)
                {
                    return (buffer, length);
                }

                length += read;
                if (length > max)
                {
                    return (buffer, length);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
