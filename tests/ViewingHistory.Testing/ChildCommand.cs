using System.Diagnostics;

namespace ViewingHistory.Testing;

/// <summary>Runs a short command a fixture or a test needs (initdb, pg_ctl, mount, kubectl, node, ...) to its end, bounded in time.</summary>
public static class ChildCommand
{
    /// <summary>
    /// Runs <paramref name="psi"/> (its output redirected) and returns its exit code; throws when it outlasts
    /// <paramref name="timeout"/> (after killing it), and when <paramref name="check"/> is set and it exits non-zero.
    /// </summary>
    public static async Task<int> RunAsync(ProcessStartInfo psi, TimeSpan timeout, bool check = true) =>
        (await RunForOutputAsync(psi, timeout, check)).ExitCode;

    /// <summary>As <see cref="RunAsync"/>, and hands back what the command wrote to stdout and stderr.</summary>
    public static async Task<ChildOutput> RunForOutputAsync(ProcessStartInfo psi, TimeSpan timeout, bool check = true)
    {
        ArgumentNullException.ThrowIfNull(psi);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {psi.FileName}.");
        using var deadline = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{psi.FileName} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout.TotalSeconds} s.");
        }

        var output = new ChildOutput(process.ExitCode, await stdout, await stderr);
        if (check && output.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{psi.FileName} {string.Join(' ', psi.ArgumentList)} exited with {output.ExitCode}: {output.Stderr}{output.Stdout}");
        }

        return output;
    }
}

/// <summary>How a child command ended and what it wrote.</summary>
public sealed record ChildOutput(int ExitCode, string Stdout, string Stderr);
