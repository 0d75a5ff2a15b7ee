using System.Globalization;
using ViewingHistory.Core.History;
using ViewingHistory.Core.Validation;
using ViewingHistory.Pipeline;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Json;
using ViewingHistory.Server.OpenApi;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// Read and manage a member's history (CONTRACT.md "Read and manage"); continue-watching is mapped beside it. Reads come
/// from the authoritative store, with an ETag and If-None-Match (<see cref="ConditionalJson{T}"/>).
/// </summary>
internal static class HistoryEndpoints
{
    public static RouteGroupBuilder MapHistory(this RouteGroupBuilder v1)
    {
        var members = v1.MapGroup("/members/{memberId}/history").RequireAuthorization(Policies.Member);
        members.MapGet("", ReadPageAsync).WithName("ReadHistory").WithSummary("A page of the member's history, newest first.")
            .Answers<HistoryPageDto>(StatusCodes.Status200OK, 400, 503).AnswersNotModified()
            .WithQuery("limit", "integer", "Items per page: 1 to 100, default 20.")
            .WithQuery("cursor", "string", "nextCursor of the previous page (opaque; a cursor the service did not issue is a 400).");
        members.MapGet("/{titleId}", ReadItemAsync).WithName("ReadHistoryItem").WithSummary("One title of the member's history.")
            .Answers<ItemDto>(StatusCodes.Status200OK, 400, 404, 503).AnswersNotModified();
        members.MapDelete("/{titleId}", HideTitleAsync).WithName("HideTitle").WithSummary("Hides the title; idempotent.")
            .Answers(StatusCodes.Status204NoContent, 400, 503);
        members.MapDelete("", HideAllAsync).WithName("HideAll").WithSummary("Hides every title of the member; idempotent.")
            .Answers(StatusCodes.Status204NoContent, 400, 503);
        return v1.MapContinueWatching();
    }

    private static Task<IResult> ReadPageAsync(string memberId, HttpRequest request, StoreSet stores, CancellationToken cancellationToken) =>
        PageQuery.ReadAsync(memberId, request, CursorScope.History, stores.Primary.ReadPageAsync, cancellationToken);

    private static async Task<IResult> ReadItemAsync(string memberId, string titleId, StoreSet stores, CancellationToken cancellationToken)
    {
        if ((InvalidId(memberId, "memberId") ?? InvalidId(titleId, "titleId")) is { } bad)
        {
            return bad;
        }

        var item = await stores.Primary.ReadItemAsync(memberId, titleId, cancellationToken);
        return item is null
            ? Problems.Status(StatusCodes.Status404NotFound, "Not found", $"Member '{memberId}' has no history for title '{titleId}'.")
            : ConditionalJson.Of(ItemDto.From(item), ApiJsonContext.Default.ItemDto);
    }

    private static async Task<IResult> HideTitleAsync(string memberId, string titleId, HistoryCommands commands, CancellationToken cancellationToken)
    {
        if ((InvalidId(memberId, "memberId") ?? InvalidId(titleId, "titleId")) is { } bad)
        {
            return bad;
        }

        await commands.HideTitleAsync(memberId, titleId, cancellationToken);
        return Results.NoContent();
    }

    private static async Task<IResult> HideAllAsync(string memberId, HistoryCommands commands, CancellationToken cancellationToken)
    {
        if (InvalidId(memberId, "memberId") is { } bad)
        {
            return bad;
        }

        await commands.HideAllAsync(memberId, cancellationToken);
        return Results.NoContent();
    }

    internal static IResult? InvalidId(string value, string name) => EventRules.IsValidId(value)
        ? null
        : Problems.BadRequest($"'{name}' must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'.");

    /// <summary>An optional integer query parameter in 1..<paramref name="max"/>; anything else (also repeated) is a 400.</summary>
    internal static bool TryReadLimit(HttpRequest request, string name, int fallback, int max, out int value, out IResult? error)
    {
        var values = request.Query[name];
        error = null;
        value = fallback;
        if (values.Count == 0)
        {
            return true;
        }

        if (values.Count == 1 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= 1 && value <= max)
        {
            return true;
        }

        error = Problems.BadRequest($"'{name}' must be an integer from 1 to {max}.");
        return false;
    }
}
