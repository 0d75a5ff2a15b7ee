using ViewingHistory.Core.Validation;

namespace ViewingHistory.Server.Endpoints;

/// <summary>RFC 9457 problem+json answers with the contract's shape (<c>title</c>, <c>status</c>, <c>detail</c>, <c>errors</c>).</summary>
internal static class Problems
{
    public static IResult Validation(string detail, IReadOnlyList<FieldError> errors) => Results.Problem(
        title: "The request is invalid.",
        statusCode: StatusCodes.Status400BadRequest,
        detail: detail,
        extensions: new Dictionary<string, object?> { ["errors"] = errors.Select(e => new ProblemError(e.Index, e.Field, e.Message)).ToArray() });

    public static IResult BadRequest(string detail) => Validation(detail, []);

    public static IResult Status(int status, string title, string detail) =>
        Results.Problem(title: title, statusCode: status, detail: detail);

    public static IResult Unavailable(int status, string title, string detail, int retryAfterSeconds) =>
        new RetryAfterResult(Status(status, title, detail), retryAfterSeconds);

    public static Task Write(HttpContext context, int status, string title, string detail) =>
        Status(status, title, detail).ExecuteAsync(context);

    private sealed class RetryAfterResult(IResult inner, int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}

/// <summary>One entry of a problem's <c>errors</c>.</summary>
internal sealed record ProblemError(int Index, string Field, string Message);
