using ViewingHistory.Core.History;
using ViewingHistory.Pipeline;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Json;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// <c>GET /v1/members/{memberId}/continue-watching</c> (CONTRACT.md, "Continue watching and conditional reads"): the
/// history's in-progress items, in the history's order, paged like it, with its own cursors. Reads come from the
/// authoritative store, like the history's.
/// </summary>
public static class ContinueWatchingEndpoints
{
    public static RouteGroupBuilder MapContinueWatching(this RouteGroupBuilder v1)
    {
        v1.MapGet("/members/{memberId}/continue-watching", ReadPageAsync)
            .RequireAuthorization(Policies.Member)
            .WithName("ReadContinueWatching")
            .WithSummary("A page of the member's titles in progress (progress at least 0.01, not completed), newest first.");
        return v1;
    }

    private static async Task<IResult> ReadPageAsync(string memberId, HttpRequest request, StoreSet stores, CancellationToken cancellationToken)
    {
        if (HistoryEndpoints.InvalidId(memberId, "memberId") is { } bad)
        {
            return bad;
        }

        if (!PageQuery.TryRead(request, CursorScope.ContinueWatching, out var limit, out var after, out var error))
        {
            return error!;
        }

        var page = await stores.Primary.ReadContinueWatchingAsync(memberId, limit, after, cancellationToken);
        return ConditionalJson.Of(
            new HistoryPageDto(page.Items.Select(ItemDto.From).ToList(), page.Next?.Encode(CursorScope.ContinueWatching)),
            ApiJsonContext.Default.HistoryPageDto);
    }
}
