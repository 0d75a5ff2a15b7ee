using System.Globalization;
using ViewingHistory.Pipeline;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Json;

namespace ViewingHistory.Server.Endpoints;

/// <summary><c>GET /v1/changes</c> (CONTRACT.md "Change feed"), for downstream consumers holding a service key.</summary>
internal static class ChangeFeedEndpoints
{
    public static RouteGroupBuilder MapChangeFeed(this RouteGroupBuilder v1)
    {
        v1.MapGet("/changes", ReadChangesAsync)
            .RequireAuthorization(Policies.Service)
            .WithName("ReadChanges")
            .WithSummary("Item changes after a position, oldest first.");
        return v1;
    }

    private static async Task<IResult> ReadChangesAsync(HttpRequest request, StoreSet stores, CancellationToken cancellationToken)
    {
        var afterValues = request.Query["after"];
        long after = 0;
        if (afterValues.Count > 1 || (afterValues.Count == 1 && (!long.TryParse(afterValues[0], NumberStyles.None, CultureInfo.InvariantCulture, out after) || after < 0)))
        {
            return Problems.BadRequest("'after' must be a position: an integer from 0.");
        }

        if (!HistoryEndpoints.TryReadLimit(request, "limit", 100, 1000, out var limit, out var error))
        {
            return error!;
        }

        var page = await stores.Primary.ReadChangesAsync(after, limit, cancellationToken);
        return Results.Json(
            new ChangesDto(page.Changes.Select(c => new ChangeDto(c.Position, c.MemberId, c.TitleId, c.Item is null ? null : ItemDto.From(c.Item))).ToList(), page.Next),
            ApiJsonContext.Default.ChangesDto);
    }
}
