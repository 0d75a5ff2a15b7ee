using ViewingHistory.Server.Endpoints;

namespace ViewingHistory.Server.OpenApi;

/// <summary>
/// The schema of every error answer in the API document: RFC 9457 problem+json as <see cref="Problems"/> writes it
/// (CONTRACT.md: <c>title</c>, <c>status</c>, <c>detail</c>, and <c>errors</c> for validation). Only the document uses
/// this type; the answers themselves are written by the problem details service.
/// </summary>
/// <param name="Type">A URI reference naming the problem type (RFC 9110's section for the status).</param>
/// <param name="Title">A short summary of the problem.</param>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Detail">What went wrong, for a person.</param>
/// <param name="Instance">The request this answers, when known.</param>
/// <param name="TraceId">The W3C trace id of the request; the server's log entry for a 5xx carries the same id.</param>
/// <param name="Errors">For a 400: every broken rule found (an element that is not an object has the field ""); may be empty for a fault of the body as a whole.</param>
internal sealed record ApiProblem(
    string? Type,
    string Title,
    int Status,
    string? Detail,
    string? Instance,
    string? TraceId,
    IReadOnlyList<ProblemError>? Errors);
