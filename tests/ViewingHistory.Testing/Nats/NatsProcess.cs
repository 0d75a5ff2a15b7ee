using System.Diagnostics;
using System.Net.Sockets;

namespace ViewingHistory.Testing.Nats;

/// <summary>One nats-server process run from a config file; killed and restarted on the same ports and store.</summary>
internal sealed class NatsProcess : IDisposable
{
    private readonly string _configPath;
    private readonly string _logPath;
    private Process? _process;
    private Process? _killed;

    public NatsProcess(string configPath, string logPath, int clientPort)
    {
        _configPath = configPath;
        _logPath = logPath;
        ClientPort = clientPort;
    }

    public int ClientPort { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The running server's process id (a benchmark reads its CPU time), or null.</summary>
    public int? Pid => IsRunning ? _process!.Id : null;

    /// <summary>The nats-server binary: Debian's /usr/sbin/nats-server, else one on PATH. Never skips: a missing binary fails.</summary>
    public static string Binary()
    {
        const string debian = "/usr/sbin/nats-server";
        if (File.Exists(debian))
        {
            return debian;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "nats-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "nats-server is not installed: these tests run a real server. Install it with `sudo apt-get install -y nats-server` " +
            "(Debian/Ubuntu) or put a nats-server binary on PATH.");
    }

    public async Task StartAsync(TimeSpan timeout)
    {
        if (IsRunning)
        {
            return;
        }

        var psi = new ProcessStartInfo(Binary())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(_configPath);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start nats-server.");
        var started = _process;
        started.EnableRaisingEvents = true;
        started.Exited += (_, _) => ReportUnexpectedExit(started);

        // The server logs to its log file; drain the pipes so it can never block on a full one.
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + timeout;
        while (!await AcceptsAsync(ClientPort))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                var why = _process.HasExited ? $"exited with code {_process.ExitCode}" : $"did not listen within {timeout.TotalSeconds:0} s";
                Kill();
                throw new InvalidOperationException($"nats-server ({_configPath}) {why}. Log:\n{LogTail()}");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>SIGKILL: the process gets no chance to flush or say goodbye, like a crashed machine's process.</summary>
    public void Kill()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _killed = _process;
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        _process = null;
    }

    /// <summary>
    /// A server that exits without being killed (a crash, the OOM killer, a stray signal) takes every later test of its
    /// fixture down with "can not connect" and then removes its log with its directory: its exit code and log tail go to
    /// stderr and to <c>vh-nats-exits.log</c> in the temp directory, which outlives the run.
    /// </summary>
    private void ReportUnexpectedExit(Process process)
    {
        if (ReferenceEquals(process, Volatile.Read(ref _killed)))
        {
            return;
        }

        string code;
        try
        {
            code = process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            code = "unknown"; // disposed by a Kill that raced this report
        }

        var report = $"{DateTime.UtcNow:O} nats-server ({_configPath}, port {ClientPort}) exited by itself with code {code}. Log:\n{LogTail()}\n";
        Console.Error.WriteLine(report);
        try
        {
            File.AppendAllText(Path.Combine(Path.GetTempPath(), "vh-nats-exits.log"), report);
        }
        catch (IOException)
        {
            // The report on stderr is the one that matters.
        }
    }

    public string LogTail()
    {
        try
        {
            var lines = File.ReadAllLines(_logPath);
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 40)));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    public void Dispose() => Kill();

    private static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
