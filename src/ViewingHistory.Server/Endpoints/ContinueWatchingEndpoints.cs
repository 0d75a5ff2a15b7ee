using ViewingHistory.Core.History;
using ViewingHistory.Pipeline;
using ViewingHistory.Server.Auth;

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
            .WithSummary("A page of the member's titles in progress (progress at least 0.01, not completed), newest first.");
        return v1;
    }

    private static Task<IResult> ReadPageAsync(string memberId, HttpRequest request, StoreSet stores, CancellationToken cancellationToken) =>
        PageQuery.ReadAsync(memberId, request, CursorScope.ContinueWatching, stores.Primary.ReadContinueWatchingAsync, cancellationToken);
}
