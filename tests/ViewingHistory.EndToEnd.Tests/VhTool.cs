using System.Diagnostics;
using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>Runs the real <c>vh</c> command-line tool as a child process, as an operator would.</summary>
public static class VhTool
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    public static async Task<Result> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll());
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove("VH_SERVICE_KEY");
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start vh.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"vh {string.Join(' ', args)} did not finish within 60 s.");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>vh.dll beside the server's build output, in the same configuration.</summary>
    private static string Dll()
    {
        var server = ServerProcess.ServerDll();
        var dll = server.Replace(
            Path.Combine("src", "ViewingHistory.Server", "bin"),
            Path.Combine("src", "ViewingHistory.Cli", "bin"),
            StringComparison.Ordinal).Replace("ViewingHistory.Server.dll", "vh.dll", StringComparison.Ordinal);
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the CLI first: {dll} is missing.");
    }
}
