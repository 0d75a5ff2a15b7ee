using System.Diagnostics;
using System.Text;
using ViewingHistory.Testing;

namespace ViewingHistory.Cli.Tests;

/// <summary>The <c>vh</c> tool as a child process (<c>dotnet vh.dll ...</c>), its output collected as it comes.</summary>
public sealed class VhProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private VhProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static VhProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(BuiltBinaries.Dll("ViewingHistory.Cli", "vh"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return new VhProcess(Process.Start(info) ?? throw new InvalidOperationException("Could not start vh."));
    }

    /// <summary>Waits for the exit (killing the process after <paramref name="timeout"/>) and returns the exit code.</summary>
    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"vh did not finish within {timeout.TotalSeconds} s. Output:\n{Output}");
        }

        // The exit can be seen before the last redirected lines are read: this overload waits for them.
        await _process.WaitForExitAsync(CancellationToken.None);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
