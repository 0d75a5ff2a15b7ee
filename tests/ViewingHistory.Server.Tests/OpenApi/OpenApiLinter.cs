using System.Diagnostics;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.OpenApi;

/// <summary>
/// Redocly's CLI (npm <c>@redocly/cli</c>), which <c>scripts/test.sh</c> installs into <c>.tools/openapi-lint</c>;
/// <c>VH_OPENAPI_LINTER</c> names another binary. A missing linter fails the test: it never skips.
/// </summary>
internal static class OpenApiLinter
{
    public static string Find()
    {
        var configured = Environment.GetEnvironmentVariable("VH_OPENAPI_LINTER");
        var path = configured is { Length: > 0 } ? configured : Path.Combine(Repository.Root(), ".tools", "openapi-lint", "node_modules", ".bin", "redocly");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The OpenAPI linter is missing at {path}: run ./scripts/test.sh (it installs @redocly/cli), or set VH_OPENAPI_LINTER.");
    }

    /// <summary>Runs <c>lint</c> (Redocly's recommended rules: errors fail it, warnings are printed) within a minute.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string linter, string file)
    {
        var start = new ProcessStartInfo(linter) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("lint");
        start.ArgumentList.Add("--format=stylish");
        start.ArgumentList.Add(file);
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{linter} did not finish within a minute.");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
