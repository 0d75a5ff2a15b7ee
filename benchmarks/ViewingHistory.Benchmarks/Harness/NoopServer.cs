using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ViewingHistory.Benchmarks.Harness;

/// <summary>
/// The <c>noop</c> subcommand: the ingest ceiling. A bare Kestrel app, in its own process like the real server, that
/// answers 202 to the ingest route without parsing or storing anything (Kestrel still reads the body off the
/// socket). It lives in the benchmark, never in the product.
/// </summary>
public static class NoopServer
{
    public static async Task<int> RunAsync(Dictionary<string, string> a)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(a["url"]);
        await using var app = builder.Build();
        app.MapPost("/v1/playback/events", () => Results.StatusCode(StatusCodes.Status202Accepted));
        app.MapGet("/health/ready", () => Results.Ok());
        await app.RunAsync();
        return 0;
    }
}
