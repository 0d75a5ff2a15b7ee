using Microsoft.Data.Sqlite;

namespace ViewingHistory.Store.Sqlite;

/// <summary>
/// The embedded history store: one SQLite file in WAL mode. SQLite has one writer, so every write goes through one
/// connection, used only on its own thread (<see cref="WriterThread"/>, which also orders the writes), and begins
/// IMMEDIATE (a deferred transaction that later upgrades to a write lock can fail with SQLITE_BUSY instead of waiting).
/// Reads open pooled connections of their own and run beside the writer, as WAL allows.
/// </summary>
public sealed partial class SqliteHistoryStore : IHistoryStore
{
    private readonly string _readConnectionString;
    private readonly string _writeConnectionString;
    private readonly TimeProvider _clock;
    private readonly WriterThread _writerThread = new("SQLite writer");
    private readonly RowCache _rows;
    private SqliteConnection? _writer;
    private WriterCommands? _commands;
    private bool _disposed;

    /// <param name="path">The database file; created with its schema by <see cref="InitializeAsync"/>.</param>
    /// <param name="clock">Stamps change rows (<see cref="ItemChange.ChangedAtMs"/>); the system clock by default.</param>
    /// <param name="rowCacheItems">
    /// Items whose rows the writer keeps in memory (<see cref="RowCache"/>; 0: none); the default holds a fleet of
    /// ~250,000 sessions playing at once in roughly 150-250 MB.
    /// </param>
    public SqliteHistoryStore(string path, TimeProvider? clock = null, int rowCacheItems = DefaultRowCacheItems)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCacheItems);
        Path = path;
        _rows = new RowCache(rowCacheItems);
        _clock = clock ?? TimeProvider.System;
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        };
        _writeConnectionString = builder.ToString();

        // Reads never need the write lock; a distinct string keeps the two kinds in separate pools.
        builder.Mode = SqliteOpenMode.ReadWrite;
        _readConnectionString = builder.ToString();
    }

    /// <summary>The row cache's default size in items (<c>Store:SqliteRowCacheItems</c>).</summary>
    public const int DefaultRowCacheItems = 262_144;

    public string Path { get; }

    /// <summary>
    /// The writer connection's <c>PRAGMA synchronous</c> as SQLite reports it once <see cref="InitializeAsync"/> has run
    /// (<c>FULL</c>: a commit is on disk when it returns, so a checkpoint taken after it never runs ahead of the store).
    /// </summary>
    public string? Synchronous { get; private set; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _writerThread.RunAsync(Initialize, cancellationToken);
    }

    /// <summary>Opens the writer connection and creates the schema; on the writer thread, like every use of the writer.</summary>
    private bool Initialize()
    {
        if (_writer is not null)
        {
            return false;
        }

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(_writeConnectionString);
        try
        {
            connection.Open();
            // The writer's page cache: 8 MiB, not SQLite's 2 MiB default (big batches read more pages than 2 MiB holds:
            // the store alone, realistic workload, 8,000-event batches: 34 µs of CPU per session with 2 MiB, 29-32 with
            // 8 or 64 MiB), nor 64 MiB: every commit walks the cache's page hash (pcache1TruncateUnsafe, ~4 % of the
            // server's samples in steady state), so a big cache costs per transaction, and steady-state deliveries are
            // small (100-event batches: 47-50 µs per session with 64 MiB, 32-42 with 8 MiB; benchmarks/NOTES.md). The
            // row cache (RowCache) is what keeps the hot rows; this only holds the pages the writes walk.
            // synchronous = FULL: every commit fsyncs the WAL. With NORMAL a power loss may take back the last commits
            // while the consumer checkpoints recording them (fsynced files of the embedded queue) survive, so the
            // processor would resume past events the store lost. FULL makes a commit as durable as the checkpoint that
            // follows it. Its cost is one fsync per transaction (measured with SQLite in WAL on these disks: +~1.5 ms on
            // a 1,000-row processor batch, +~0.4-1 ms on a single-event sync-mode apply), small against a batch's
            // own work and the log commit a sync request already waits for. See README.md, "Power loss".
            Execute(connection, """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                PRAGMA busy_timeout = 5000;
                PRAGMA foreign_keys = OFF;
                PRAGMA cache_size = -8192;
                """);

            Synchronous = ReadSynchronous(connection);
            if (Synchronous != "FULL")
            {
                throw new InvalidOperationException($"SQLite kept synchronous = {Synchronous}; the store needs FULL to keep its commits through a power loss.");
            }

            using (var tx = connection.BeginTransaction(deferred: false))
            {
                Execute(connection, Schema, tx);
                Execute(connection, RightsSchema, tx);
                MigrateSessions(connection, tx);
                _hasErasures = HasErasures(connection, tx);
                tx.Commit();
            }

            _commands = new WriterCommands(connection);
            _writer = connection;
            return true;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw Map(e);
        }
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await Task.CompletedTask;
        try
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'items'";
            if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 1)
            {
                throw new StoreUnavailableException($"The SQLite store at {Path} has no schema: was it initialized?");
            }
        }
        catch (SqliteException e)
        {
            throw Map(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        // Queued behind whatever the writer still has to do; then the thread ends.
        await _writerThread.RunAsync(
            () =>
            {
                _disposed = true;
                _commands?.Dispose();
                _writer?.Dispose();
                _writer = null;
                return true;
            },
            CancellationToken.None);
        _writerThread.Dispose();

        // Pooled connections would keep the file (and its WAL) open after the store is gone.
        SqliteConnection.ClearPool(new SqliteConnection(_readConnectionString));
        SqliteConnection.ClearPool(new SqliteConnection(_writeConnectionString));
    }

    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_readConnectionString);
        connection.Open();
        return connection;
    }

    private long NowMs() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Errors that are the store's state, not the data's (<see cref="StoreFailures"/>), become <see cref="StoreUnavailableException"/>; the rest stay as they are.</summary>
    private Exception Map(SqliteException e) =>
        StoreFailures.IsStoreState(e)
            ? new StoreUnavailableException($"The SQLite store at {Path} cannot take the operation now (SQLite error {e.SqliteExtendedErrorCode}): {e.Message}", e)
            : e;

    private static string ReadSynchronous(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) switch
        {
            0 => "OFF",
            1 => "NORMAL",
            2 => "FULL",
            3 => "EXTRA",
            var other => other.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        command.ExecuteNonQuery();
    }

    // WITHOUT ROWID keeps the rows inside their primary-key b-tree: every read here is a key prefix. Every statement is
    // IF NOT EXISTS, so the script is also the migration of a database an earlier version made (items_resume came later).
    private const string Schema = $"""
        CREATE TABLE IF NOT EXISTS sessions (
            member_id TEXT NOT NULL,
            title_id TEXT NOT NULL,
            session_id TEXT NOT NULL,
            last_at INTEGER NOT NULL,
            head_seq INTEGER NOT NULL,
            head_ts INTEGER NOT NULL,
            head_event_id TEXT NOT NULL,
            position_ms INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL,
            PRIMARY KEY (member_id, title_id, session_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS items (
            member_id TEXT NOT NULL,
            title_id TEXT NOT NULL,
            last_watched_at INTEGER NOT NULL,
            position_ms INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL,
            sessions INTEGER NOT NULL,
            latest_session_id TEXT NOT NULL,
            PRIMARY KEY (member_id, title_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS items_page ON items (member_id, last_watched_at DESC, title_id);
        {ContinueWatchingIndexSql}
        CREATE TABLE IF NOT EXISTS member_marks (
            member_id TEXT NOT NULL PRIMARY KEY,
            at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS title_marks (
            member_id TEXT NOT NULL,
            title_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            PRIMARY KEY (member_id, title_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS store_probe (
            id INTEGER NOT NULL PRIMARY KEY,
            at INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS changes (
            position INTEGER PRIMARY KEY AUTOINCREMENT,
            member_id TEXT NOT NULL,
            title_id TEXT NOT NULL,
            last_watched_at INTEGER NULL,
            position_ms INTEGER NULL,
            duration_ms INTEGER NULL,
            sessions INTEGER NULL,
            changed_at INTEGER NOT NULL
        );
        """;
}
