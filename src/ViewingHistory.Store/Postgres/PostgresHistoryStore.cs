using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using ViewingHistory.Core.Diagnostics;
using ViewingHistory.Core.Events;
using ViewingHistory.Store.Sharding;

namespace ViewingHistory.Store.Postgres;

/// <summary>
/// The distributed history store on PostgreSQL. Writes are set-based (a batch costs a few round trips whatever its
/// size) and correct with several processors on the same member at once: a write locks its members' rows, in one
/// global order, before it touches their sessions and items. See the partial files for the apply,
/// the hides and the change feed.
/// </summary>
public sealed partial class PostgresHistoryStore : IHistoryStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _clock;
    private readonly string _lockPrefix;
    private readonly long _schemaLockKey;
    private readonly long _feedLockKey;
    private readonly ILogger _logger;

    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="schema">
    /// The schema that holds the tables (created when missing); null uses the connection's search_path. A second
    /// schema in the same database is an independent store (the shadow store of the migration).
    /// </param>
    /// <param name="clock">Stamps change rows; the system clock by default.</param>
    /// <param name="placement">Which shard of how many this store is (<see cref="ShardPlacement.Single"/> by default).</param>
    /// <param name="logger">Where a deferred initialization reports (see <see cref="InitializeAsync"/>); none by default.</param>
    public PostgresHistoryStore(string connectionString, string? schema = null, TimeProvider? clock = null, ShardPlacement? placement = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        if (schema is not null && !SchemaName().IsMatch(schema))
        {
            throw new ArgumentException("A schema name is 1-63 chars of [a-z0-9_], not starting with a digit.", nameof(schema));
        }

        Schema = schema;
        Placement = placement ?? ShardPlacement.Single;
        _clock = clock ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (schema is not null)
        {
            builder.ConnectionStringBuilder.SearchPath = schema;
        }

        _dataSource = builder.Build();

        // Advisory locks (schema creation, feed order) are per database, so their keys carry the schema: two stores
        // in one database never wait on each other.
        _lockPrefix = "vh/" + (schema ?? string.Empty) + "/";
        _schemaLockKey = LockKey("schema");
        _feedLockKey = LockKey("feed");
    }

    public string? Schema { get; }

    /// <summary>Which shard of how many this store is; recorded in the database and checked at every start.</summary>
    public ShardPlacement Placement { get; }

    public Task PingAsync(CancellationToken cancellationToken) =>
        GuardAsync(
            async () =>
            {
                await using var command = _dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return 0;
            },
            cancellationToken);

    public Task ProbeWriteAsync(CancellationToken cancellationToken) =>
        GuardAsync(
            async () =>
            {
                // One row, rewritten in place: a real committed write (so a read-only primary refuses it) that never grows the table.
                await using var command = _dataSource.CreateCommand(
                    "INSERT INTO store_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at");
                command.Parameters.Add(new NpgsqlParameter { Value = NowMs() });
                await command.ExecuteNonQueryAsync(cancellationToken);
                return 0;
            },
            cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // A lazy initialization still running (see the Initialization partial) ends with the store.
        await _disposing.CancelAsync();
        await _dataSource.DisposeAsync();
        _disposing.Dispose();
    }

    private long NowMs() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A stable 64-bit advisory-lock key (XxHash64, never string.GetHashCode, which differs per process).</summary>
    private long LockKey(string name) => unchecked((long)MemberHash.Of(_lockPrefix + name));

    /// <summary>
    /// The path of every operation: runs the initialization first where it is still owed (an <see cref="InitializeAsync"/>
    /// that could not reach the server), then the operation through <see cref="GuardRawAsync"/>.
    /// </summary>
    private async Task<T> GuardAsync<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken);
        return await GuardRawAsync(operation, cancellationToken);
    }

    /// <summary>Maps failures that are the store's state, not the data's, to <see cref="StoreUnavailableException"/>.</summary>
    private static async Task<T> GuardRawAsync<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await operation();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsUnavailable(e))
        {
            throw new StoreUnavailableException(
                e is PostgresException pg
                    ? $"PostgreSQL cannot take the operation now (SQLSTATE {pg.SqlState}): {Redaction.Secrets(pg.MessageText)}"
                    : $"PostgreSQL is unavailable: {Redaction.Secrets(e.Message)}",
                e);
        }
    }

    // Npgsql's IsTransient alone misses a read-only primary (25006), an admin shutdown (57P01) or a full disk (53100):
    // StoreFailures classifies by SQLSTATE.
    private static bool IsUnavailable(Exception e) => e is not StoreUnavailableException && StoreFailures.IsStoreState(e);

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();

    // COLLATE "C" on every text column: the contract orders and compares ids ordinally, and a database whose
    // default collation follows a language would sort "B" before "a" otherwise, in indexes and in comparisons.
    // Every statement is IF NOT EXISTS, so the script is also the migration of a database an earlier version made
    // (items_resume came later); the advisory lock above keeps instances starting together from racing on it.
    private const string SchemaSql = $"""
        CREATE TABLE IF NOT EXISTS sessions (
            member_id text COLLATE "C" NOT NULL,
            title_id text COLLATE "C" NOT NULL,
            session_id text COLLATE "C" NOT NULL,
            last_at bigint NOT NULL,
            head_seq integer NOT NULL,
            head_ts bigint NOT NULL,
            head_event_id text COLLATE "C" NOT NULL,
            position_ms bigint NOT NULL,
            duration_ms bigint NOT NULL,
            PRIMARY KEY (member_id, title_id, session_id)
        );
        CREATE TABLE IF NOT EXISTS items (
            member_id text COLLATE "C" NOT NULL,
            title_id text COLLATE "C" NOT NULL,
            last_watched_at bigint NOT NULL,
            position_ms bigint NOT NULL,
            duration_ms bigint NOT NULL,
            sessions integer NOT NULL,
            latest_session_id text COLLATE "C" NOT NULL,
            PRIMARY KEY (member_id, title_id)
        );
        CREATE INDEX IF NOT EXISTS items_page ON items (member_id, last_watched_at DESC, title_id);
        {ContinueWatchingIndexSql}
        CREATE TABLE IF NOT EXISTS members (
            member_id text COLLATE "C" NOT NULL PRIMARY KEY
        );
        CREATE TABLE IF NOT EXISTS member_marks (
            member_id text COLLATE "C" NOT NULL PRIMARY KEY,
            at bigint NOT NULL
        );
        CREATE TABLE IF NOT EXISTS title_marks (
            member_id text COLLATE "C" NOT NULL,
            title_id text COLLATE "C" NOT NULL,
            at bigint NOT NULL,
            PRIMARY KEY (member_id, title_id)
        );
        CREATE TABLE IF NOT EXISTS store_probe (
            id integer NOT NULL PRIMARY KEY,
            at bigint NOT NULL
        );
        CREATE TABLE IF NOT EXISTS changes (
            position bigserial PRIMARY KEY,
            member_id text COLLATE "C" NOT NULL,
            title_id text COLLATE "C" NOT NULL,
            last_watched_at bigint NULL,
            position_ms bigint NULL,
            duration_ms bigint NULL,
            sessions integer NULL,
            changed_at bigint NOT NULL
        );
        """;
}
