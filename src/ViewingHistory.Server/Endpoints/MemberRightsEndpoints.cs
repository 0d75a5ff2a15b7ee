using Microsoft.Net.Http.Headers;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.Validation;
using ViewingHistory.Pipeline;
using ViewingHistory.Server.Auth;
using ViewingHistory.Server.Configuration;
using ViewingHistory.Server.Json;
using ViewingHistory.Server.OpenApi;

namespace ViewingHistory.Server.Endpoints;

/// <summary>
/// Member data rights (CONTRACT.md "Member data rights"): the export (service key or the member's token), the erasure
/// and its status (service key only). Every mode answers them the same way: they go to the stores directly.
/// </summary>
internal static class MemberRightsEndpoints
{
    public static RouteGroupBuilder MapMemberRights(this RouteGroupBuilder v1)
    {
        var member = v1.MapGroup("/members/{memberId}");
        member.MapGet("/export", ExportAsync).RequireAuthorization(Policies.Member)
            .WithName("ExportMember").WithSummary("The member's items, sessions and hide marks, one consistent snapshot (JSON or CSV).")
            .AnswersText(StatusCodes.Status200OK, ["application/json", "text/csv"], 400, 503)
            .WithQuery("format", "string", "json (the default) or csv.");
        member.MapDelete("", EraseAsync).RequireAuthorization(Policies.Service)
            .WithName("EraseMember").WithSummary("Erases the member: covered data goes at once from reads, and from everywhere within the bounds the README states.")
            .Answers<ErasureAcceptedDto>(StatusCodes.Status202Accepted, 400, 503);
        member.MapGet("/erasure", ReadErasureAsync).RequireAuthorization(Policies.Service)
            .WithName("ReadErasure").WithSummary("The member's latest erasure and what is not yet clean of it.")
            .Answers<ErasureStatusDto>(StatusCodes.Status200OK, 400, 404, 503);
        return v1;
    }

    private static async Task<IResult> ExportAsync(string memberId, HttpContext context, StoreSet stores, ServiceOptions service, TimeProvider time, CancellationToken cancellationToken)
    {
        if (InvalidMember(memberId) is { } bad)
        {
            return bad;
        }

        if (!TryChooseFormat(context.Request, out var csv, out var formatError))
        {
            return formatError!;
        }

        // Staged to a temporary file (deleted when closed): the store's snapshot is held only while it is read, never
        // while a slow client downloads, and a store failure is a clean 503 before any byte is sent.
        var staging = Path.Combine(service.DataDir, "export-staging");
        Directory.CreateDirectory(staging);
        var file = new FileStream(
            Path.Combine(staging, Guid.NewGuid().ToString("N") + ".tmp"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            var exportedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
            await using (var writer = csv ? (MemberExportWriter)new CsvExportWriter(file) : new JsonExportWriter(file, memberId, exportedAt))
            {
                await stores.Primary.ExportAsync(memberId, writer, cancellationToken);
                await writer.CompleteAsync(cancellationToken);
            }

            file.Position = 0;
            context.Response.Headers.CacheControl = "private, no-store";
            return Results.Stream(file, csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8");
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    private static async Task<IResult> EraseAsync(string memberId, HistoryCommands commands, CancellationToken cancellationToken)
    {
        if (InvalidMember(memberId) is { } bad)
        {
            return bad;
        }

        var record = await commands.EraseAsync(memberId, cancellationToken);
        return new LocationResult(
            Results.Json(
                new ErasureAcceptedDto(Timestamps.Format(record.RequestedAtMs), Timestamps.Format(record.ErasedThroughMs)),
                MemberRightsJsonContext.Default.ErasureAcceptedDto,
                statusCode: StatusCodes.Status202Accepted),
            $"/v1/members/{memberId}/erasure");
    }

    private static async Task<IResult> ReadErasureAsync(string memberId, StoreSet stores, CancellationToken cancellationToken)
    {
        if (InvalidMember(memberId) is { } bad)
        {
            return bad;
        }

        var status = await stores.Primary.ReadErasureAsync(memberId, cancellationToken);
        if (status is null)
        {
            return Problems.Status(StatusCodes.Status404NotFound, "Not found", $"No erasure of member '{memberId}' was requested.");
        }

        var e = status.Erasure;
        return Results.Json(
            new ErasureStatusDto(
                Timestamps.Format(e.RequestedAtMs),
                Timestamps.Format(e.ErasedThroughMs),
                e.CompletedAtMs is { } done ? Timestamps.Format(done) : null,
                status.Pending),
            MemberRightsJsonContext.Default.ErasureStatusDto);
    }

    /// <summary>
    /// <c>?format=csv|json</c> wins; without it, CSV when the Accept header prefers <c>text/csv</c> over
    /// <c>application/json</c> (a tie, or neither named, is JSON). An unknown or repeated <c>format</c> is a 400.
    /// </summary>
    internal static bool TryChooseFormat(HttpRequest request, out bool csv, out IResult? error)
    {
        csv = false;
        error = null;
        var formats = request.Query["format"];
        if (formats.Count > 0)
        {
            if (formats.Count == 1 && formats[0] is "csv" or "json")
            {
                csv = formats[0] == "csv";
                return true;
            }

            error = Problems.BadRequest("'format' must be 'json' or 'csv'.");
            return false;
        }

        if (MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted))
        {
            double Quality(string type) => accepted.Where(a => a.MediaType.Equals(type, StringComparison.OrdinalIgnoreCase)).Select(a => a.Quality ?? 1).DefaultIfEmpty(0).Max();
            csv = Quality("text/csv") > Quality("application/json");
        }

        return true;
    }

    private static IResult? InvalidMember(string memberId) => EventRules.IsValidId(memberId)
        ? null
        : Problems.BadRequest("'memberId' must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'.");

    private sealed class LocationResult(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
