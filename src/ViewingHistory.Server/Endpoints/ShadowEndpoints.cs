using ViewingHistory.Core.Validation;
using ViewingHistory.Pipeline.Shadow;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Json;

namespace ViewingHistory.Server.Endpoints;

/// <summary>On-demand comparison of the sync store and the shadow store (<c>vh compare</c>), service key only.</summary>
internal static class ShadowEndpoints
{
    public static RouteGroupBuilder MapShadow(this RouteGroupBuilder v1)
    {
        v1.MapPost("/admin/shadow/compare", CompareAsync)
            .RequireAuthorization(Policies.Service)
            .WithName("CompareShadow")
            .WithSummary("Compares members item by item between the sync store and the shadow store.");
        return v1;
    }

    private static async Task<IResult> CompareAsync(CompareRequest request, ShadowComparer comparer, CancellationToken cancellationToken)
    {
        if (!comparer.Enabled)
        {
            return Problems.Status(StatusCodes.Status409Conflict, "Not in shadow mode", "Comparison needs Pipeline:Mode=shadow (set at start).");
        }

        var members = request.Members ?? [];
        if (request.All == (members.Count > 0))
        {
            return Problems.BadRequest("Give either 'members' (a non-empty list) or 'all': true.");
        }

        if (members.Any(m => !EventRules.IsValidId(m)) || members.Count > 10_000)
        {
            return Problems.BadRequest("'members' holds at most 10,000 valid member ids.");
        }

        var settle = TimeSpan.FromSeconds(Math.Clamp(request.SettleSeconds ?? 10, 0, 300));
        var report = request.All
            ? await comparer.CompareAllAsync(settle, cancellationToken)
            : await comparer.CompareMembersAsync(members, settle, cancellationToken);
        return Results.Json(
            new CompareResponse(
                report.MembersCompared,
                report.ItemsCompared,
                report.Mismatches.Count,
                report.Mismatches.Take(1000).Select(m => new MismatchDto(
                    m.MemberId, m.TitleId, m.Primary is null ? null : ItemDto.From(m.Primary), m.Shadow is null ? null : ItemDto.From(m.Shadow))).ToList()),
            ApiJsonContext.Default.CompareResponse);
    }
}
