using Microsoft.AspNetCore.Http.Features;
using ViewingHistory.Pipeline;
using ViewingHistory.Pipeline.Ingest;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Configuration;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// The ingest route's own middleware, for the request that is nearly all of the service's traffic: <c>POST
/// /v1/playback/events</c>, spelt exactly so, a JSON body and one valid ingest key, while no per-key rate limit is set. It checks
/// the key itself, holds the same in-flight bound, and runs the endpoint's own code (<see cref="IngestEndpoints"/>), so
/// the answer is the same; what it skips is the generic authentication, authorization and rate-limiting middleware and
/// the endpoint filters, about a quarter of the CPU of a single-event request (benchmarks/NOTES.md, "Issue 14, the
/// ingest fast path"). Every other request (no key or another credential, another spelling of the path, a rate limit
/// in force, the in-flight bound reached) goes down the whole pipeline and is answered by it as before.
/// </summary>
internal sealed class IngestFastPath(
    RequestDelegate next,
    Credentials credentials,
    OptionsInForce<IngestOptions> options,
    IngestAdmission.InFlightLimiter limiter,
    IngestPipeline pipeline,
    VhMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggers)
{
    public const string Path = "/v1/playback/events";

    public async Task InvokeAsync(HttpContext http)
    {
        // The rate limit first: with one set, every request goes down the pipeline, and its key is not hashed twice.
        if (options.Current.RateLimitPerSecond > 0 || !Takes(http, credentials) || !limiter.TryEnter())
        {
            await next(http);
            return;
        }

        try
        {
            var result = await IngestEndpoints.IngestAsync(http, pipeline, metrics, time, loggers, http.RequestAborted);
            await result.ExecuteAsync(http);
        }
        finally
        {
            limiter.Exit();
        }
    }

    /// <summary>Whether the request is the plain ingest request this path answers (the rate limit and the bound aside).</summary>
    internal static bool Takes(HttpContext http, Credentials credentials)
    {
        var request = http.Request;
        if (!HttpMethods.IsPost(request.Method) || !string.Equals(request.Path.Value, Path, StringComparison.Ordinal) ||
            !string.Equals(http.Features.Get<IHttpRequestFeature>()?.RawTarget, Path, StringComparison.Ordinal))
        {
            return false; // a query, a trailing '/', a dot segment, another case: the full pipeline decides
        }

        if (!IngestEndpoints.IsJson(request.ContentType))
        {
            return false; // routing refuses another media type (415) before the endpoint runs; the same answer here
        }

        var header = request.Headers.Authorization;
        return header.Count == 1 && header[0] is { Length: > 7 } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) &&
            credentials.Match(value[7..].Trim(), out _) == CredentialKind.Ingest;
    }
}
