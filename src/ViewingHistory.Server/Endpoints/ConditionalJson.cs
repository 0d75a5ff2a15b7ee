using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// A <c>200</c> JSON read with a strong <c>ETag</c> of its body, or <c>304</c> with no body when the request's
/// <c>If-None-Match</c> names it (CONTRACT.md, "Continue watching and conditional reads"). Only reads that passed
/// authentication and validation get here, so a precondition never hides a 400, 401, 403 or 404. The body is built
/// either way: the tag is a function of the body, so a 304 saves the transfer and the client's parse, not the read.
/// </summary>
internal sealed class ConditionalJson<T>(T value, JsonTypeInfo<T> typeInfo) : IResult
{
    /// <summary>Both answers say it: a private cache may keep the body, and must ask again (with the tag) before using it.</summary>
    public const string CacheControl = "private, no-cache";

    /// <summary>
    /// The answer depends on the credential (another member's token gets 403), so a cache keeps one entry per
    /// credential; every node and mode sends the same header.
    /// </summary>
    public const string Vary = "Authorization";

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        var tag = EntityTags.Of(body);
        var response = httpContext.Response;
        response.Headers.ETag = tag;
        response.Headers.CacheControl = CacheControl;
        response.Headers.Vary = Vary;
        if (EntityTags.IfNoneMatchHolds(httpContext.Request.Headers.IfNoneMatch, tag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }
}

/// <summary>Builds <see cref="ConditionalJson{T}"/> with the type inferred.</summary>
internal static class ConditionalJson
{
    public static ConditionalJson<T> Of<T>(T value, JsonTypeInfo<T> typeInfo) => new(value, typeInfo);
}
