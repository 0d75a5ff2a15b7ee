using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.RateLimiting;

namespace ViewingHistory.Server.OpenApi;

/// <summary>
/// What an endpoint can answer, as endpoint metadata the API document (<c>/openapi/v1.json</c>) is built from.
/// Every mapped endpoint declares its answers with one call, after <c>WithName</c>/<c>WithSummary</c>:
/// <code>
/// .Answers&lt;HistoryPageDto&gt;(StatusCodes.Status200OK, 400, 503)   // the success status and its JSON body, then the handler's own problem+json statuses
/// .Answers(StatusCodes.Status204NoContent, 400, 503)               // a success without a body
/// .WithQuery("limit", "integer", "1 to 100; default 20")           // each query parameter the handler reads by hand
/// </code>
/// Statuses that follow from other metadata are added by <see cref="AddImpliedAnswers"/> for the whole route tree:
/// 401 and 403 where the endpoint requires authorization (its credential kinds come from the policy), 429 where it is
/// rate limited, and 500 everywhere. <c>ApiDocumentTests</c> fails for a mapped endpoint without <c>Answers</c>, and
/// for any status a request provokes that the document does not list.
/// </summary>
internal static class ApiAnswers
{
    public const string Json = "application/json";
    public const string Problem = "application/problem+json";

    /// <summary>Answers <paramref name="success"/> with a <typeparamref name="T"/> body, and problem+json for each of <paramref name="problems"/>.</summary>
    public static RouteHandlerBuilder Answers<T>(this RouteHandlerBuilder builder, int success, params int[] problems) =>
        builder.Declare(success, typeof(T), problems);

    /// <summary>Answers <paramref name="success"/> without a body, and problem+json for each of <paramref name="problems"/>.</summary>
    public static TBuilder Answers<TBuilder>(this TBuilder builder, int success, params int[] problems)
        where TBuilder : IEndpointConventionBuilder =>
        builder.Declare(success, null, problems);

    /// <summary>A success answer with a body of another media type (e.g. <c>text/plain</c> for <c>/metrics</c>).</summary>
    public static TBuilder AnswersText<TBuilder>(this TBuilder builder, int success, string contentType, params int[] problems)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AnswersText(success, [contentType], problems);

    /// <summary>A success answer whose body is one of several media types (e.g. the export: JSON or CSV).</summary>
    public static TBuilder AnswersText<TBuilder>(this TBuilder builder, int success, string[] contentTypes, params int[] problems)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new ProducesResponseTypeMetadata(success, typeof(string), contentTypes));
        return builder.Problems(success, problems);
    }

    /// <summary>An answer the endpoint gives besides its main success (e.g. the 503 body of <c>/health/ready</c>, which is JSON, not a problem).</summary>
    public static RouteHandlerBuilder AlsoAnswers<T>(this RouteHandlerBuilder builder, int status)
    {
        builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(T), [Json]), new ApiAlsoAnswersMetadata(status));
        return builder;
    }

    /// <summary>
    /// 304 Not Modified, without a body: a conditional read whose If-None-Match matched its ETag (CONTRACT.md
    /// "Continue watching and conditional reads").
    /// </summary>
    public static RouteHandlerBuilder AnswersNotModified(this RouteHandlerBuilder builder)
    {
        builder.WithMetadata(
            new ProducesResponseTypeMetadata(StatusCodes.Status304NotModified, typeof(void), []),
            new ApiAlsoAnswersMetadata(StatusCodes.Status304NotModified));
        return builder;
    }

    /// <summary>A query parameter the handler reads from <c>HttpRequest.Query</c> itself (so the framework cannot see it).</summary>
    public static TBuilder WithQuery<TBuilder>(this TBuilder builder, string name, string type, string description)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new ApiQueryMetadata(name, type, description));
        return builder;
    }

    /// <summary>
    /// The statuses every endpoint of <paramref name="routes"/> can answer through other metadata (see the class
    /// remarks). Runs once the endpoint's own conventions have run, so the order of the calls does not matter.
    /// </summary>
    public static TBuilder AddImpliedAnswers<TBuilder>(this TBuilder routes)
        where TBuilder : IEndpointConventionBuilder
    {
        routes.Finally(endpoint =>
        {
            var implied = new List<int>();
            if (endpoint.Metadata.OfType<IAuthorizeData>().Any())
            {
                implied.Add(StatusCodes.Status401Unauthorized);
                implied.Add(StatusCodes.Status403Forbidden);
            }

            if (endpoint.Metadata.OfType<EnableRateLimitingAttribute>().Any())
            {
                implied.Add(StatusCodes.Status429TooManyRequests);
            }

            implied.Add(StatusCodes.Status500InternalServerError);
            var declared = endpoint.Metadata.OfType<IProducesResponseTypeMetadata>().Select(m => m.StatusCode).ToHashSet();
            foreach (var status in implied.Where(s => !declared.Contains(s)))
            {
                endpoint.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ApiProblem), [Problem]));
            }

            endpoint.Metadata.Add(new ApiImpliedAnswersMetadata([.. implied]));
        });
        return routes;
    }

    private static TBuilder Declare<TBuilder>(this TBuilder builder, int success, Type? body, int[] problems)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new ProducesResponseTypeMetadata(success, body ?? typeof(void), body is null ? [] : [Json]));
        return builder.Problems(success, problems);
    }

    private static TBuilder Problems<TBuilder>(this TBuilder builder, int success, int[] problems)
        where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in problems)
        {
            if (status < 400)
            {
                throw new ArgumentOutOfRangeException(nameof(problems), status, "Problem answers are 4xx or 5xx.");
            }

            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ApiProblem), [Problem]));
        }

        builder.WithMetadata(new ApiAnswersMetadata(success, problems));
        return builder;
    }
}

/// <summary>The answers an endpoint declared with <see cref="ApiAnswers"/>: its success status and its own problem statuses.</summary>
internal sealed record ApiAnswersMetadata(int Success, IReadOnlyList<int> Problems);

/// <summary>The statuses <see cref="ApiAnswers.AddImpliedAnswers"/> added from other metadata.</summary>
internal sealed record ApiImpliedAnswersMetadata(IReadOnlyList<int> Statuses);

/// <summary>A further non-problem answer (<see cref="ApiAnswers.AlsoAnswers"/>).</summary>
internal sealed record ApiAlsoAnswersMetadata(int Status);

/// <summary>A query parameter read by hand (<see cref="ApiAnswers.WithQuery"/>); <see cref="Type"/> is a JSON Schema type name.</summary>
internal sealed record ApiQueryMetadata(string Name, string Type, string Description);
