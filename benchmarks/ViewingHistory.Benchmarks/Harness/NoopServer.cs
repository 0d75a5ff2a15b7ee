using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ViewingHistory.Benchmarks.Harness;

/// <summary>
/// The <c>noop</c> subcommand: the ingest ceiling. A bare Kestrel app, in its own process like the real server, that
/// reads the request body to its end and answers the same 202 with the same small JSON body as the real endpoint, so
/// both move the same bytes over the socket; it authenticates, parses, validates and stores nothing. (DESIGN.md's
/// reference figure parses the event too, so this ceiling is a little higher than that one.) It lives in the
/// benchmark, never in the product.
/// </summary>
public static class NoopServer
{
    public static async Task<int> RunAsync(Dictionary<string, string> a)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(a["url"]);
        await using var app = builder.Build();
        var accepted = "{\"accepted\":1}"u8.ToArray();
        app.MapPost("/v1/playback/events", async (HttpContext http) =>
        {
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                while (await http.Request.Body.ReadAsync(buffer) > 0)
                {
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            http.Response.StatusCode = StatusCodes.Status202Accepted;
            http.Response.ContentType = "application/json; charset=utf-8";
            await http.Response.Body.WriteAsync(accepted);
        });
        app.MapGet("/health/ready", () => Results.Ok());
        await app.RunAsync();
        return 0;
    }
}
