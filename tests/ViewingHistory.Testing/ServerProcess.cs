using System.Diagnostics;
using System.Net;
using System.Text;

namespace ViewingHistory.Testing;

/// <summary>
/// The real server binary as a child process on a free loopback port: what crash, fault and browser tests need
/// (SIGKILL, SIGTERM, restarts on the same data dir). Settings are passed on the command line.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

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

    /// <summary>
    /// Starts the server and waits until <c>/health/ready</c> answers 200. <paramref name="environment"/> adds
    /// variables (runtime knobs such as <c>DOTNET_TieredPGO</c>); <paramref name="dll"/> runs another build of the server
    /// (a ReadyToRun publish, for the benchmarks) instead of the one beside the tests; <paramref name="workingDirectory"/>
    /// starts it somewhere else than the tests' own directory.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(
        IReadOnlyDictionary<string, string> settings,
        int? port = null,
        TimeSpan? readyTimeout = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? dll = null,
        string? workingDirectory = null)
    {
        var server = Launch(settings, port, environment, dll, workingDirectory);
        try
        {
            await server.WaitReadyAsync(readyTimeout ?? TimeSpan.FromSeconds(60));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Starts the server without waiting for it to be ready: for tests that kill it while it is still starting (recovering its log, opening its store).</summary>
    public static ServerProcess Launch(
        IReadOnlyDictionary<string, string> settings,
        int? port = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? dll = null,
        string? workingDirectory = null)
    {
        var p = port ?? FreePort.Next();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        info.ArgumentList.Add(dll ?? ServerDll());
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{p}");
        foreach (var (key, value) in settings)
        {
            info.ArgumentList.Add($"--{key}={value}");
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_gcServer"] = "0";
        // The start's warm-up (a scratch copy of the service driven until the JIT is quiet) would add seconds to every
        // start of every test; the tests that are about it set WarmUp:Enabled=true, which the command line lets win.
        info.Environment["WarmUp__Enabled"] = "false";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException("Could not start the server."), p);
    }

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        await Eventually.UntilAsync(
            async () =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"The server exited with {_process.ExitCode} before it was ready:\n{Output}");
                }

                try
                {
                    using var response = await Client.GetAsync("/health/ready");
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            timeout,
            "the server to be ready");
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>Waits for a process that ends by itself (a start the configuration refuses); returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM and wait for the exit; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            Signals.Send(_process.Id, Signals.SigTerm);
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    /// <summary>The server's dll, built in the same configuration as the tests (the test projects reference the server project).</summary>
    public static string ServerDll() => BuiltDll("ViewingHistory.Server", "ViewingHistory.Server");

    /// <summary>The dll of a project under src/, built in the same configuration as the running tests.</summary>
    public static string BuiltDll(string project, string assembly)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ViewingHistory.slnx")))
            {
                var dll = Path.Combine(dir.FullName, "src", project, "bin", configuration, "net10.0", assembly + ".dll");
                return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build {project} first ({configuration}): {dll} is missing.");
            }
        }

        throw new DirectoryNotFoundException("The repository root (ViewingHistory.slnx) was not found above " + AppContext.BaseDirectory);
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
