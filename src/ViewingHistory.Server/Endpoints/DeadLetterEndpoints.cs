using ViewingHistory.Core.Validation;
using ViewingHistory.Queue;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Json;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// The dead-letter queue over HTTP, for operators and <c>vh dlq</c> (service key). Tools go through here instead of
/// opening the queue's files, which belong to the running server (DESIGN.md, "Roles and the embedded queue").
/// </summary>
internal static class DeadLetterEndpoints
{
    private const int ReplayPage = 100;

    public static RouteGroupBuilder MapDeadLetters(this RouteGroupBuilder v1)
    {
        var dlq = v1.MapGroup("/admin/dead-letters").RequireAuthorization(Policies.Service);
        dlq.MapGet("", ListAsync).WithName("ListDeadLetters").WithSummary("The oldest dead letters, with their reasons.");
        dlq.MapPost("/replay", ReplayAllAsync).WithName("ReplayDeadLetters").WithSummary("Appends every dead letter to the queue again.");
        dlq.MapPost("/{id}/replay", ReplayOneAsync).WithName("ReplayDeadLetter").WithSummary("Appends one dead letter to the queue again.");
        dlq.MapDelete("", PurgeAllAsync).WithName("PurgeDeadLetters").WithSummary("Removes every dead letter.");
        dlq.MapDelete("/{id}", PurgeOneAsync).WithName("PurgeDeadLetter").WithSummary("Removes one dead letter.");
        return v1;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IEventQueue queue, CancellationToken cancellationToken)
    {
        if (!HistoryEndpoints.TryReadLimit(request, "limit", 100, 1000, out var limit, out var error))
        {
            return error!;
        }

        var letters = await queue.DeadLetters.ListAsync(limit, cancellationToken);
        return Results.Json(
            new DeadLetterListDto([.. letters.Select(DeadLetterDto.From)], Math.Max(queue.DeadLetters.Count, letters.Count)),
            DeadLetterJsonContext.Default.DeadLetterListDto);
    }

    private static async Task<IResult> ReplayOneAsync(string id, IEventQueue queue, CancellationToken cancellationToken)
    {
        if (InvalidId(id) is { } bad)
        {
            return bad;
        }

        return await queue.DeadLetters.ReplayAsync(id, cancellationToken)
            ? Results.Json(new DeadLetterReplayedDto(1), DeadLetterJsonContext.Default.DeadLetterReplayedDto)
            : NotFound(id);
    }

    /// <summary>
    /// Replays what was dead-lettered before the request started. An entry that fails again while this runs comes
    /// back with a newer failure time, and stops the walk: without that bound a still-broken entry could be replayed
    /// and dead-lettered in a loop for as long as the request lasts.
    /// </summary>
    private static async Task<IResult> ReplayAllAsync(IEventQueue queue, TimeProvider time, CancellationToken cancellationToken)
    {
        var startedMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var replayed = 0;
        while (true)
        {
            var page = (await queue.DeadLetters.ListAsync(ReplayPage, cancellationToken)).Where(l => l.FailedAtMs < startedMs).ToList();
            var progressed = false;
            foreach (var letter in page)
            {
                if (await queue.DeadLetters.ReplayAsync(letter.Id, cancellationToken))
                {
                    replayed++;
                    progressed = true;
                }
            }

            if (!progressed)
            {
                return Results.Json(new DeadLetterReplayedDto(replayed), DeadLetterJsonContext.Default.DeadLetterReplayedDto);
            }
        }
    }

    private static async Task<IResult> PurgeOneAsync(string id, IEventQueue queue, CancellationToken cancellationToken)
    {
        if (InvalidId(id) is { } bad)
        {
            return bad;
        }

        return await queue.DeadLetters.PurgeAsync(id, cancellationToken) > 0 ? Results.NoContent() : NotFound(id);
    }

    private static async Task<IResult> PurgeAllAsync(IEventQueue queue, CancellationToken cancellationToken) =>
        Results.Json(new DeadLetterPurgedDto(await queue.DeadLetters.PurgeAsync(null, cancellationToken)), DeadLetterJsonContext.Default.DeadLetterPurgedDto);

    private static IResult NotFound(string id) =>
        Problems.Status(StatusCodes.Status404NotFound, "Not found", $"There is no dead letter '{id}'.");

    private static IResult? InvalidId(string id) => EventRules.IsValidId(id)
        ? null
        : Problems.BadRequest("A dead letter id is 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-', as listed.");
}
