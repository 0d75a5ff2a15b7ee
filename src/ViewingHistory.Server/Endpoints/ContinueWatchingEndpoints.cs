using ViewingHistory.Core.History;
using ViewingHistory.Pipeline;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Json;
using ViewingHistory.Server.OpenApi;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// <c>GET /v1/members/{memberId}/continue-watching</c> (CONTRACT.md, "Continue watching and conditional reads"): the
/// history's in-progress items, in the history's order, paged like it, with its own cursors. Reads come from the
/// authoritative store, like the history's.
/// </summary>
internal static class ContinueWatchingEndpoints
{
    public static RouteGroupBuilder MapContinueWatching(this RouteGroupBuilder v1)
    {
        v1.MapGet("/members/{memberId}/continue-watching", ReadPageAsync)
            .RequireAuthorization(Policies.Member)
            .WithName("ReadContinueWatching")
            .WithSummary("A page of the member's titles in progress (progress at least 0.01, not completed), newest first.")
            .Answers<HistoryPageDto>(StatusCodes.Status200OK, 400, 503).AnswersNotModified()
            .WithQuery("limit", "integer", "Items per page: 1 to 100, default 20.")
            .WithQuery("cursor", "string", "nextCursor of the previous continue-watching page (opaque; a history cursor is a 400).");
        return v1;
    }

    private static Task<IResult> ReadPageAsync(string memberId, HttpRequest request, StoreSet stores, CancellationToken cancellationToken) =>
        PageQuery.ReadAsync(memberId, request, CursorScope.ContinueWatching, stores.Primary.ReadContinueWatchingAsync, cancellationToken);
}
