using Microsoft.AspNetCore.Http.Features;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// Refuses an API request (<c>/v1</c>) whose path is not exactly the one it names: a trailing <c>/</c>, or a <c>.</c>
/// or <c>..</c> segment (literal or percent-encoded) in the request target. Runs before authentication and before any
/// endpoint, whether or not routing matched one: such a request is a 400 on every method and every path under
/// <c>/v1</c>, never a 401, 404 or 405 that depends on where the dot segments happened to lead.
/// </summary>
/// <remarks>
/// The contract's id alphabet allows the ids <c>.</c> and <c>..</c>, but no URL can carry them: clients and Kestrel
/// resolve dot segments (RFC 3986 5.2.4), so <c>DELETE /v1/members/m/history/..</c> (or <c>%2e%2e</c>) arrives as
/// <c>DELETE /v1/members/m/</c>, which routing would match as the member's erasure, and
/// <c>DELETE /v1/members/m/history/.</c> as hiding the whole history. Every such request ends in <c>/</c> once resolved
/// or still shows its dot segment in the raw target, and no endpoint's own path does either. The ingest fast path
/// takes only the exact raw target <c>/v1/playback/events</c>, so the common request never reaches this check.
/// </remarks>
internal static class ExactPaths
{
    private const string Detail =
        "The path must name the resource exactly: no trailing '/', no '.' or '..' segment. An id '.' or '..' cannot be sent in a URL (clients resolve dot segments).";

    public static IApplicationBuilder UseExactPaths(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            var path = http.Request.Path.Value ?? string.Empty;
            var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? path;
            if (!IsApi(path) && !IsApi(raw))
            {
                return next(http);
            }

            return path.EndsWith('/') || HasDotSegment(raw) ? Problems.BadRequest(Detail).ExecuteAsync(http) : next(http);
        });

    /// <summary>
    /// <c>/v1</c> or below it, in any case: routing matches paths case-insensitively, so <c>DELETE /V1/members/m/</c>
    /// would reach the erasure as well.
    /// </summary>
    private static bool IsApi(string path) =>
        path.StartsWith("/v1", StringComparison.OrdinalIgnoreCase) && (path.Length == 3 || path[3] is '/' or '?');

    private static bool HasDotSegment(string target)
    {
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? target : target[..query];
        foreach (var segment in path.Split('/'))
        {
            var decoded = segment.Replace("%2e", ".", StringComparison.OrdinalIgnoreCase);
            if (decoded is "." or "..")
            {
                return true;
            }
        }

        return false;
    }
}
