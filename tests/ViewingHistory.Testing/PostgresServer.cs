using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Xunit;

namespace ViewingHistory.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster from the machine's packages, on a free loopback port in a temp dir: share it
/// through an xUnit collection fixture, and give each test its own database with <see cref="CreateDatabaseAsync"/>.
/// It fails, never skips, when PostgreSQL is not installed. initdb and postgres refuse to run as root, so as root
/// (the case in CI) they run as the <c>postgres</c> user.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _directory = new("vh-pg");
    private string _bin = string.Empty;
    private bool _asPostgresUser;

    public int Port { get; } = FreePort.Next();

    public string DataDirectory => System.IO.Path.Combine(_directory.Path, "data");

    /// <summary>A connection string to the <c>postgres</c> maintenance database.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public async Task InitializeAsync()
    {
        _bin = FindBinaries();
        _asPostgresUser = Environment.IsPrivilegedProcess;
        if (_asPostgresUser)
        {
            if (await RunAsync("id", ["-u", "postgres"], asPostgres: false, check: false) != 0)
            {
                throw new InvalidOperationException(
                    "Running as root, PostgreSQL's tools need the 'postgres' user, which does not exist: install the " +
                    "'postgresql' package (apt-get install postgresql), which creates it.");
            }

            await RunAsync("chown", ["-R", "postgres:postgres", _directory.Path], asPostgres: false);
        }

        await RunAsync(System.IO.Path.Combine(_bin, "initdb"), ["-D", DataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
        await StartAsync();
    }

    /// <summary>Creates an empty database and returns a connection string to it.</summary>
    /// <remarks>
    /// The database uses an ICU English collation on purpose: with a C default collation a store that forgot
    /// COLLATE "C" would still sort ids ordinally, and the tests could not see it.
    /// </remarks>
    public async Task<string> CreateDatabaseAsync(string prefix = "vh")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}".ToLowerInvariant();
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'",
            connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
            Timeout = 5,
            CommandTimeout = 30,
            Pooling = true,
        }.ToString();

    /// <summary>Starts (or restarts after <see cref="StopAsync"/>) the server and waits until it accepts connections.</summary>
    public async Task StartAsync()
    {
        var options = string.Join(' ',
            $"-p {Port}",
            "-c listen_addresses=127.0.0.1",
            $"-c unix_socket_directories={_directory.Path}",
            "-c max_connections=200",
            "-c shared_buffers=64MB");
        await RunAsync(System.IO.Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-l", System.IO.Path.Combine(_directory.Path, "postgres.log"), "-o", options, "-w", "-t", "60", "start"]);
    }

    /// <summary>Stops the server at once, as a crash would (no checkpoint); <see cref="StartAsync"/> brings it back.</summary>
    public async Task StopAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await RunAsync(System.IO.Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], check: false);
    }

    /// <summary>
    /// Freezes every process of the cluster (SIGSTOP): connections stay open but nothing answers, like a hung node.
    /// Backends are separate processes, so stopping the postmaster alone would leave open connections working.
    /// </summary>
    public Task FreezeAsync() => SignalClusterAsync("-STOP");

    /// <summary>Resumes a frozen cluster (SIGCONT).</summary>
    public Task ThawAsync() => SignalClusterAsync("-CONT");

    public async Task DisposeAsync()
    {
        if (_bin.Length > 0 && File.Exists(System.IO.Path.Combine(DataDirectory, "postmaster.pid")))
        {
            await ThawAsync();
            await StopAsync();
        }

        _directory.Dispose();
    }

    private async Task SignalClusterAsync(string signal)
    {
        var pid = PostmasterPid();
        var pids = new List<int> { pid };
        foreach (var stat in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(System.IO.Path.GetFileName(stat), out var child) && ParentOf(child) == pid)
            {
                pids.Add(child);
            }
        }

        await RunAsync("kill", [signal, .. pids.Select(p => p.ToString(CultureInfo.InvariantCulture))], asPostgres: false, check: false);
    }

    private int PostmasterPid()
    {
        var first = File.ReadLines(System.IO.Path.Combine(DataDirectory, "postmaster.pid")).First();
        return int.Parse(first.Trim(), CultureInfo.InvariantCulture);
    }

    private static int ParentOf(int pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>PATH first (a machine may link one version there), then Debian's versioned directories, newest first.</summary>
    private static string FindBinaries()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql")
                    .OrderByDescending(d => int.TryParse(System.IO.Path.GetFileName(d), out var v) ? v : 0)
                    .Select(d => System.IO.Path.Combine(d, "bin"))
                : []);
        foreach (var dir in candidates)
        {
            if (File.Exists(System.IO.Path.Combine(dir, "initdb")) && File.Exists(System.IO.Path.Combine(dir, "pg_ctl")) && File.Exists(System.IO.Path.Combine(dir, "postgres")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException(
            "PostgreSQL's server binaries (initdb, pg_ctl, postgres) are neither on PATH nor in /usr/lib/postgresql/*/bin: " +
            "install them with 'apt-get install postgresql'.");
    }

    private Task<int> RunAsync(string file, IReadOnlyList<string> args, bool? asPostgres = null, bool check = true)
    {
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asPostgres ?? _asPostgresUser)
        {
            psi.FileName = "runuser";
            foreach (var a in (string[])["-u", "postgres", "--", file, .. args])
            {
                psi.ArgumentList.Add(a);
            }
        }
        else
        {
            psi.FileName = file;
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }
        }

        return ChildCommand.RunAsync(psi, CommandTimeout, check);
    }
}
