using ViewingHistory.Core.History;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// The query of a paged list (<c>limit</c> 1–100, default 20; an opaque <c>cursor</c> this service issued for the same
/// list), shared by the history and continue-watching so that both have the same rules and the same 400s.
/// </summary>
public static class PageQuery
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

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
