using Microsoft.Extensions.Logging;
using Npgsql;
using ViewingHistory.Core.Diagnostics;

namespace ViewingHistory.Store.Postgres;

/// <summary>
/// Creating or migrating the schema, at start or, when the server could not be reached then, on first use. An ingest
/// node started during a store outage must start (CONTRACT.md "Operations": its async ingest keeps answering 202), so
/// an <see cref="InitializeAsync"/> that fails because PostgreSQL cannot be reached leaves the initialization owed: the
/// next operation runs it (once, shared by every operation waiting for it, under the schema's advisory lock as at
/// start) before it runs itself, and until it succeeds every operation fails with <see cref="StoreUnavailableException"/>
/// as in any outage. What is the configuration's fault fails <see cref="InitializeAsync"/> with
/// <see cref="InvalidOperationException"/> (the start fails); found on first use instead, it is logged as critical and
/// every operation keeps failing with it (README "When the store is down at start").
/// </summary>
public sealed partial class PostgresHistoryStore
{
    private const int InitializeAttempts = 5;
    private static readonly TimeSpan RefusalLogInterval = TimeSpan.FromMinutes(1);

    private readonly Lock _initGate = new();
    private readonly CancellationTokenSource _disposing = new();
    private volatile Initialization _initialization;
    private Task? _lazyInitialization;
    private InvalidOperationException? _refusal;
    private long _faultLoggedAt = long.MinValue;

    private enum Initialization
    {
        /// <summary><see cref="InitializeAsync"/> was never called: operations run as they are.</summary>
        NotAsked,

        /// <summary><see cref="InitializeAsync"/> could not reach the server: the next operation initializes first.</summary>
        Owed,

        /// <summary>The schema is created or migrated and the placement checked.</summary>
        Done,

        /// <summary>Found on first use: the placement refuses this configuration; no operation runs until a restart.</summary>
        Refused,
    }

    /// <summary>
    /// Creates or migrates the schema (and, for the global feed of a sharded store, its sequencer's tables) and checks
    /// the placement. Throws <see cref="StoreUnavailableException"/> when the server cannot be reached (or takes nothing
    /// now): the initialization is then run by the first operation that finds the server answering. Throws
    /// <see cref="InvalidOperationException"/> when the configuration is at fault: a placement other than the recorded
    /// one (<see cref="ShardPlacement"/>), credentials the server refuses (SQLSTATE class 28), a database that does not
    /// exist (3D000), or a role without the privileges the schema needs (class 42).
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await InitializeWithRetriesAsync(cancellationToken);
        }
        catch (StoreUnavailableException e) when (!cancellationToken.IsCancellationRequested)
        {
            if (ConfigurationFault(e) is { } fault)
            {
                throw new InvalidOperationException(fault, e);
            }

            lock (_initGate)
            {
                if (_initialization != Initialization.Done)
                {
                    _initialization = Initialization.Owed;
                }
            }

            throw;
        }

        _initialization = Initialization.Done;
    }

    /// <summary>Where the initialization is still owed, runs it (or waits for the run under way) before the operation.</summary>
    private Task EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (_initialization is Initialization.NotAsked or Initialization.Done)
        {
            return Task.CompletedTask;
        }

        Task run;
        lock (_initGate)
        {
            switch (_initialization)
            {
                case Initialization.NotAsked or Initialization.Done:
                    return Task.CompletedTask;
                case Initialization.Refused:
                    LogRefusedAgainEveryMinute(_refusal!);
                    return Task.FromException(Refusal(_refusal!));
            }

            // One run for every operation that finds it owed; a run that failed (the server still down) is replaced by the next.
            if (_lazyInitialization is not { IsCompleted: false })
            {
                _lazyInitialization = InitializeLazilyAsync();
            }

            run = _lazyInitialization;
        }

        // Each operation waits as long as its own token allows; the run itself goes on for the next one.
        return run.WaitAsync(cancellationToken);
    }

    private async Task InitializeLazilyAsync()
    {
        // Off the caller's lock: nothing below runs under it.
        await Task.Yield();
        var token = _disposing.Token;
        try
        {
            await InitializeWithRetriesAsync(token);
        }
        catch (StoreUnavailableException e) when (!token.IsCancellationRequested && ConfigurationFault(e) is { } fault)
        {
            // The operator can fix it in PostgreSQL (a password, a grant, the database) without restarting us: go on
            // trying, but never quietly.
            if (ShouldLogFault())
            {
                LogConfigurationFault(e, SchemaLabel, fault);
            }

            throw new StoreUnavailableException(fault, e);
        }
        catch (InvalidOperationException e) when (e is not ObjectDisposedException && !token.IsCancellationRequested)
        {
            // The placement refuses this configuration (CheckPlacementAsync is what throws this type here): retrying
            // cannot help until Store:Shards changes, which needs a restart.
            lock (_initGate)
            {
                _refusal = e;
                _initialization = Initialization.Refused;
            }

            Interlocked.Exchange(ref _faultLoggedAt, Environment.TickCount64);
            LogRefused(e, SchemaLabel);
            throw Refusal(e);
        }

        lock (_initGate)
        {
            _initialization = Initialization.Done;
        }

        LogInitializedLate(SchemaLabel, Placement.ToString());
    }

    private StoreUnavailableException Refusal(InvalidOperationException refusal) =>
        new($"The PostgreSQL store{SchemaLabel} refuses this configuration and takes no operation until it is fixed and the process restarted: {refusal.Message}", refusal);

    private void LogRefusedAgainEveryMinute(InvalidOperationException refusal)
    {
        if (ShouldLogFault())
        {
            LogRefused(refusal, SchemaLabel);
        }
    }

    private bool ShouldLogFault()
    {
        var last = Interlocked.Read(ref _faultLoggedAt);
        var now = Environment.TickCount64;
        return (last == long.MinValue || now - last >= (long)RefusalLogInterval.TotalMilliseconds)
            && Interlocked.CompareExchange(ref _faultLoggedAt, now, last) == last;
    }

    /// <summary>
    /// What the configuration is to blame for, among the failures that are the store's state: credentials refused
    /// (class 28), no such database (3D000) or schema (3F000), missing privileges for the schema script (class 42: only
    /// this script runs here). Null for everything else (the server down, starting, shutting down, full, busy...).
    /// </summary>
    private string? ConfigurationFault(StoreUnavailableException e)
    {
        Exception? x = e;
        while (x is not null and not PostgresException)
        {
            x = x.InnerException;
        }

        if (x is not PostgresException pg)
        {
            return null;
        }

        var what = pg.SqlState switch
        {
            ['2', '8', ..] => "refuses the configured credentials",
            "3D000" => "has no database of the configured name",
            "3F000" => "has no schema of the configured name",
            ['4', '2', ..] => "refuses the configured role what the schema script needs",
            _ => null,
        };
        return what is null
            ? null
            : $"PostgreSQL {what} (SQLSTATE {pg.SqlState}: {Redaction.Secrets(pg.MessageText)}) for the store{SchemaLabel}: check Store:ConnectionString " +
              "(or Store:Shards) and the role's privileges.";
    }

    private async Task InitializeWithRetriesAsync(CancellationToken cancellationToken)
    {
        // CREATE INDEX IF NOT EXISTS takes a SHARE lock on its table before it looks, so a node starting while others
        // write can be chosen as a deadlock victim (40P01) or fail serialization; its transaction is rolled back whole
        // and is safe to run again. Anything else is the store's state or a real error, as for every operation.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await InitializeOnceAsync(cancellationToken);
                return;
            }
            catch (StoreUnavailableException e) when (attempt < InitializeAttempts && e.InnerException is PostgresException
                { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure })
            {
                await Task.Delay(TimeSpan.FromMilliseconds((100 * attempt) + Random.Shared.Next(100)), cancellationToken);
            }
        }
    }

    private async Task InitializeOnceAsync(CancellationToken cancellationToken)
    {
        await GuardRawAsync(
            async () =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);

                // CREATE ... IF NOT EXISTS is not safe against itself running concurrently (both may try to insert
                // the same catalog rows): instances starting together queue on this lock.
                await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, tx))
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = _schemaLockKey });
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                var sql = (Schema is null ? string.Empty : $"CREATE SCHEMA IF NOT EXISTS {Schema};\n") + SchemaSql + RightsSchemaSql + PlacementSchemaSql +
                    (IsGlobalFeed ? SequencerSchemaSql : string.Empty);
                await using (var command = new NpgsqlCommand(sql, connection, tx))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                await CheckPlacementAsync(connection, tx, cancellationToken);
                await tx.CommitAsync(cancellationToken);
                return 0;
            },
            cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The PostgreSQL store{Schema} ({Placement}) answers again: created or migrated its schema, deferred since the start")]
    private partial void LogInitializedLate(string schema, string placement);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The PostgreSQL store{Schema} refuses this configuration: every operation on it fails until the configuration is fixed and the process restarted")]
    private partial void LogRefused(Exception exception, string schema);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The PostgreSQL store{Schema} cannot be initialized, by the configuration's fault: {Fault} Every operation on it fails until this is fixed")]
    private partial void LogConfigurationFault(Exception exception, string schema, string fault);
}
