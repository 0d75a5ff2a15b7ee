using Microsoft.Data.Sqlite;
using Npgsql;
using ViewingHistory.Core.History;
using ViewingHistory.Store.Postgres;
using ViewingHistory.Store.Sqlite;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Faults;
using static ViewingHistory.Store.Tests.Events;

namespace ViewingHistory.Store.Tests;

/// <summary>
/// Issue 12, item 2: a read-only primary (25006) made the processor dead-letter acknowledged events, because only
/// Npgsql's IsTransient was asked. The classification (<see cref="StoreFailures"/>) on errors the real engines raise:
/// what is the store's state surfaces at the seam as <see cref="StoreUnavailableException"/>, what is the data's
/// stays as the engine's own exception, and the probe write tells a working store from a refusing one.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StoreFailureClassificationTests(PostgresServer server)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact(Timeout = 120_000)]
    public async Task A_read_only_PostgreSQL_is_the_stores_state_for_applies_and_probes_and_both_work_once_it_is_writable()
    {
        var db = await server.CreateDatabaseAsync();
        await using var store = new PostgresHistoryStore(db);
        await store.InitializeAsync(None);
        await store.ApplyAsync(Reduce(Event("m", "t", "s", 0, 0, 0)), None);

        await PostgresReadOnly.SetAsync(server, db, readOnly: true);
        try
        {
            var apply = await Eventually.UntilAsync(
                () => CatchAsync(() => store.ApplyAsync(Reduce(Event("m", "t2", "s", 0, 1, 1_000)), None)),
                e => e is not null && Inner<PostgresException>(e)?.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction,
                TimeSpan.FromSeconds(30),
                "an apply to fail with 25006");
            Assert.IsType<StoreUnavailableException>(apply);
            Assert.True(StoreFailures.IsStoreState(Inner<PostgresException>(apply)!));
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ProbeWriteAsync(None));
        }
        finally
        {
            await PostgresReadOnly.SetAsync(server, db, readOnly: false);
        }

        await Eventually.UntilAsync(async () => await CatchAsync(() => store.ProbeWriteAsync(None)) is null, TimeSpan.FromSeconds(30), "the probe to commit again");
        await store.ApplyAsync(Reduce(Event("m", "t2", "s", 0, 1, 1_000)), None);
        Assert.NotNull(await store.ReadItemAsync("m", "t2", None));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_row_PostgreSQL_refuses_is_not_the_stores_state_and_the_probe_still_commits()
    {
        var db = await server.CreateDatabaseAsync();
        await using var store = new PostgresHistoryStore(db);
        await store.InitializeAsync(None);
        await ExecuteAsync(db, "ALTER TABLE sessions ADD CONSTRAINT refuse_poison CHECK (member_id <> 'poison')");

        var refused = await Assert.ThrowsAsync<PostgresException>(() => store.ApplyAsync(Reduce(Event("poison", "t", "s", 0, 0, 0)), None));
        Assert.Equal(PostgresErrorCodes.CheckViolation, refused.SqlState);
        Assert.False(StoreFailures.IsStoreState(refused));
        await store.ProbeWriteAsync(None);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_statement_timeout_is_the_stores_state()
    {
        await using var connection = new NpgsqlConnection(await server.CreateDatabaseAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SET statement_timeout = 50; SELECT pg_sleep(5)", connection);
        var timedOut = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.QueryCanceled, timedOut.SqlState);
        Assert.True(StoreFailures.IsStoreState(timedOut));
    }

    [Theory]
    [InlineData("08006", true)] // connection failure
    [InlineData("25006", true)] // read-only transaction
    [InlineData("57014", true)] // statement timeout, query canceled
    [InlineData("57P01", true)] // admin shutdown
    [InlineData("57P02", true)] // crash shutdown
    [InlineData("57P03", true)] // cannot connect now
    [InlineData("53100", true)] // disk full
    [InlineData("53200", true)] // out of memory
    [InlineData("53300", true)] // too many connections
    [InlineData("40001", true)] // serialization failure
    [InlineData("40P01", true)] // deadlock
    [InlineData("55P03", true)] // lock not available
    [InlineData("58030", true)] // I/O error
    [InlineData("XX000", true)] // internal error
    [InlineData("42501", true)] // insufficient privilege: the deployment's state
    [InlineData("23514", false)] // check violation
    [InlineData("23505", false)] // unique violation
    [InlineData("22001", false)] // string too long
    [InlineData("54000", false)] // program limit, e.g. an index row too big
    [InlineData("P0001", false)] // raised by a trigger
    public void Every_SQLSTATE_outside_the_data_classes_is_the_stores_state(string sqlState, bool storeState) =>
        Assert.Equal(storeState, StoreFailures.IsStoreState(sqlState));

    [Fact]
    public void SQLite_READONLY_BUSY_and_CONSTRAINT_are_classified_by_their_codes()
    {
        using var directory = new TempDirectory("vh-classify");
        var path = Path.Combine(directory.Path, "c.db");
        using (var create = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            create.Open();
            Execute(create, "PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER NOT NULL)");
        }

        using (var readOnly = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False"))
        {
            readOnly.Open();
            var e = Assert.Throws<SqliteException>(() => Execute(readOnly, "INSERT INTO t VALUES (1)"));
            Assert.Equal(8, e.SqliteErrorCode); // SQLITE_READONLY
            Assert.True(StoreFailures.IsStoreState(e));
        }

        using var holder = new SqliteConnection($"Data Source={path};Pooling=False");
        holder.Open();
        using var held = holder.BeginTransaction(deferred: false);
        // Microsoft.Data.Sqlite retries SQLITE_BUSY until the command timeout, and 0 means forever: give up after 1 s.
        using (var other = new SqliteConnection($"Data Source={path};Pooling=False;Default Timeout=1"))
        {
            other.Open();
            var e = Assert.Throws<SqliteException>(() => Execute(other, "BEGIN IMMEDIATE"));
            Assert.Equal(5, e.SqliteErrorCode); // SQLITE_BUSY
            Assert.True(StoreFailures.IsStoreState(e));
        }

        var constraint = Assert.Throws<SqliteException>(() => Execute(holder, "INSERT INTO t VALUES (NULL)", held));
        Assert.Equal(19, constraint.SqliteErrorCode); // SQLITE_CONSTRAINT
        Assert.False(StoreFailures.IsStoreState(constraint));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_full_disk_under_the_SQLite_store_is_the_stores_state_and_the_store_writes_again_once_there_is_room()
    {
        await using var disk = await LoopMount.CreateAsync();
        await using var store = new SqliteHistoryStore(Path.Combine(disk.Path, "history.db"));
        await store.InitializeAsync(None);
        await store.ApplyAsync(Reduce(Event("m", "t", "s", 0, 0, 0)), None);

        await disk.FillAsync();
        StoreUnavailableException? full = null;
        try
        {
            // Each apply adds rows (and WAL frames) until one finds no room.
            for (var i = 0; i < 10_000 && full is null; i++)
            {
                switch (await CatchAsync(() => store.ApplyAsync(Reduce(ManyEvents($"f{i}", 200)), None)))
                {
                    case null:
                        break;
                    case StoreUnavailableException unavailable:
                        full = unavailable;
                        break;
                    case var other:
                        throw new InvalidOperationException("A full disk surfaced as something other than the store's state.", other);
                }
            }

            Assert.NotNull(full);
            var sqlite = Inner<SqliteException>(full);
            Assert.NotNull(sqlite);
            Assert.True(StoreFailures.IsStoreState(sqlite));
        }
        finally
        {
            disk.Empty();
        }

        await store.ProbeWriteAsync(None);
        await store.ApplyAsync(Reduce(Event("m", "t2", "s", 0, 1, 1_000)), None);
        Assert.NotNull(await store.ReadItemAsync("m", "t2", None));
    }

    private static List<ViewingHistory.Core.Events.PlaybackEvent> ManyEvents(string prefix, int count) =>
        [.. Enumerable.Range(0, count).Select(i => Event($"{prefix}-m{i % 7}", $"{prefix}-title-{i}-{new string('x', 200)}", "s", 0, i, 0))];

    private static async Task<Exception?> CatchAsync(Func<Task> call)
    {
        try
        {
            await call();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static T? Inner<T>(Exception e)
        where T : Exception
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        command.ExecuteNonQuery();
    }
}
