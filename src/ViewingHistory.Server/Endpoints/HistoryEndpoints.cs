using System.Globalization;
using ViewingHistory.Core.History;
using ViewingHistory.Core.Validation;
using ViewingHistory.Pipeline;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Json;

namespace ViewingHistory.Server.Endpoints;

/// <summary>Read and manage a member's history (CONTRACT.md "Read and manage"). Reads come from the authoritative store.</summary>
internal static class HistoryEndpoints
{
    public static RouteGroupBuilder MapHistory(this RouteGroupBuilder v1)
    {
        var members = v1.MapGroup("/members/{memberId}/history").RequireAuthorization(Policies.Member);
        members.MapGet("", ReadPageAsync).WithName("ReadHistory").WithSummary("A page of the member's history, newest first.");
        members.MapGet("/{titleId}", ReadItemAsync).WithName("ReadHistoryItem").WithSummary("One title of the member's history.");
        members.MapDelete("/{titleId}", HideTitleAsync).WithName("HideTitle").WithSummary("Hides the title; idempotent.");
        members.MapDelete("", HideAllAsync).WithName("HideAll").WithSummary("Hides every title of the member; idempotent.");
        return v1;
    }

    private static async Task<IResult> ReadPageAsync(string memberId, HttpRequest request, StoreSet stores, CancellationToken cancellationToken)
    {
        if (InvalidId(memberId, "memberId") is { } bad)
        {
            return bad;
        }

        if (!TryReadLimit(request, "limit", 20, 100, out var limit, out var limitError))
        {
            return limitError!;
        }

        HistoryCursor? after = null;
        var cursors = request.Query["cursor"];
        if (cursors.Count > 1 || (cursors.Count == 1 && !HistoryCursor.TryDecode(cursors[0], out var cursor)))
        {
            return Problems.BadRequest("'cursor' is not a cursor this service issued: pass nextCursor from a previous page.");
        }
        else if (cursors.Count == 1)
        {
            HistoryCursor.TryDecode(cursors[0], out cursor);
            after = cursor;
        }

        var page = await stores.Primary.ReadPageAsync(memberId, limit, after, cancellationToken);
        return Results.Json(
            new HistoryPageDto(page.Items.Select(ItemDto.From).ToList(), page.Next?.Encode()),
            ApiJsonContext.Default.HistoryPageDto);
    }

    private static async Task<IResult> ReadItemAsync(string memberId, string titleId, StoreSet stores, CancellationToken cancellationToken)
    {
        if ((InvalidId(memberId, "memberId") ?? InvalidId(titleId, "titleId")) is { } bad)
        {
            return bad;
        }

        var item = await stores.Primary.ReadItemAsync(memberId, titleId, cancellationToken);
        return item is null
            ? Problems.Status(StatusCodes.Status404NotFound, "Not found", $"Member '{memberId}' has no history for title '{titleId}'.")
            : Results.Json(ItemDto.From(item), ApiJsonContext.Default.ItemDto);
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

    private static IResult? InvalidId(string value, string name) => EventRules.IsValidId(value)
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
