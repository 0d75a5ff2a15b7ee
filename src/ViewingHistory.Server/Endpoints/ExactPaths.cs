using Microsoft.AspNetCore.Http.Features;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// Refuses an API request whose path is not exactly the one it names: a trailing <c>/</c>, or a <c>.</c> or <c>..</c>
/// segment (literal or percent-encoded) in the request target.
/// </summary>
/// <remarks>
/// The contract's id alphabet allows the title ids <c>.</c> and <c>..</c>, but no URL can carry them: clients and
/// Kestrel resolve dot segments (RFC 3986 5.2.4), so <c>DELETE /v1/members/m/history/..</c> (or <c>%2e%2e</c>) arrives
/// as <c>DELETE /v1/members/m/</c>, which routing would match as the member's erasure, and
/// <c>DELETE /v1/members/m/history/.</c> as hiding the whole history. Every such request ends in <c>/</c> once resolved
/// (or still shows its dot segment in the raw target), and no endpoint's own path does: answering 400 keeps a hide of
/// one odd title from becoming an erasure.
/// </remarks>
internal static class ExactPaths
{
    public static RouteGroupBuilder RequireExactPaths(this RouteGroupBuilder group) =>
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var path = http.Request.Path.Value ?? string.Empty;
            var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? path;
            if (path.EndsWith('/') || HasDotSegment(raw))
            {
                return Problems.BadRequest(
                    "The path must name the resource exactly: no trailing '/', no '.' or '..' segment. A title id '.' or '..' cannot be sent in a URL (clients resolve dot segments).");
            }

            return await next(context);
        });

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
