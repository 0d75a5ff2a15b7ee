using ViewingHistory.Core.History;
using ViewingHistory.Server.Json;
using ViewingHistory.Store;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// The query of a paged list (<c>limit</c> 1–100, default 20; an opaque <c>cursor</c> this service issued for the same
/// list), shared by the history and continue-watching so that both have the same rules and the same 400s.
/// </summary>
internal static class PageQuery
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    /// <summary>A page of one of the member's lists: the checks every list makes, then the store's read, as a conditional JSON answer.</summary>
    public static async Task<IResult> ReadAsync(
        string memberId,
        HttpRequest request,
        CursorScope scope,
        Func<string, int, HistoryCursor?, CancellationToken, Task<HistoryPage>> read,
        CancellationToken cancellationToken)
    {
        if (HistoryEndpoints.InvalidId(memberId, "memberId") is { } bad)
        {
            return bad;
        }

        if (!TryRead(request, scope, out var limit, out var after, out var error))
        {
            return error!;
        }

        var page = await read(memberId, limit, after, cancellationToken);
        return ConditionalJson.Of(
            new HistoryPageDto(page.Items.Select(ItemDto.From).ToList(), page.Next?.Encode(scope)),
            ApiJsonContext.Default.HistoryPageDto);
    }

    public static bool TryRead(HttpRequest request, CursorScope scope, out int limit, out HistoryCursor? after, out IResult? error)
    {
        after = null;
        if (!HistoryEndpoints.TryReadLimit(request, "limit", DefaultLimit, MaxLimit, out limit, out error))
        {
            return false;
        }

        var cursors = request.Query["cursor"];
        if (cursors.Count == 0)
        {
            return true;
        }

        if (cursors.Count == 1 && HistoryCursor.TryDecode(cursors[0], scope, out var cursor))
        {
            after = cursor;
            return true;
        }

        var list = scope == CursorScope.History ? "history" : "continue-watching";
        error = Problems.BadRequest($"'cursor' is not a cursor this service issued for the {list}: pass nextCursor from a previous page of the same list.");
        return false;
    }
}
