using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Npgsql;
using ViewingHistory.Benchmarks.Harness;
using ViewingHistory.Store.Postgres;
using ViewingHistory.Store.Sqlite;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// The fair ceiling of the store write path (DESIGN.md, "The ceiling of the store write path"): exactly the writes the
/// contract forces per changed session, batched, with nothing of the product's logic: a session upsert, an item upsert
/// and a change append, 1,000 sessions per transaction, into the store's own schema (created by the store itself, so the
/// same tables, keys and indexes) with the store's own durability (WAL, synchronous=FULL on SQLite). The sessions are
/// those of the workload's event stream, one event each, in stream order: with the realistic workload every one is a
/// different session, as in the processor's batches. No reads, no merge, no recompute: what a perfect cache would
/// leave to write.
/// </summary>
public static class RawContractWrites
{
    private const int PerTransaction = 1000;

    /// <summary>Sessions per second into SQLite; prepared statements, one execution per row each.</summary>
    public static async Task<double> SqliteAsync(string path, Workload workload, TimeSpan duration)
    {
        await using (var store = new SqliteHistoryStore(path))
        {
            await store.InitializeAsync(CancellationToken.None); // the schema, and nothing else of the store
        }

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using (var pragmas = connection.CreateCommand())
        {
            pragmas.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;";
            pragmas.ExecuteNonQuery();
        }

        using var session = Prepare(connection, """
            INSERT INTO sessions (member_id, title_id, session_id, last_at, head_seq, head_ts, head_event_id, position_ms, duration_ms)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (member_id, title_id, session_id) DO UPDATE SET
                last_at = excluded.last_at, head_seq = excluded.head_seq, head_ts = excluded.head_ts,
                head_event_id = excluded.head_event_id, position_ms = excluded.position_ms, duration_ms = excluded.duration_ms
            """, 9);
        using var item = Prepare(connection, """
            INSERT INTO items (member_id, title_id, last_watched_at, position_ms, duration_ms, sessions, latest_session_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (member_id, title_id) DO UPDATE SET
                last_watched_at = excluded.last_watched_at, position_ms = excluded.position_ms, duration_ms = excluded.duration_ms,
                sessions = excluded.sessions, latest_session_id = excluded.latest_session_id
            """, 7);
        using var change = Prepare(connection, """
            INSERT INTO changes (member_id, title_id, last_watched_at, position_ms, duration_ms, sessions, changed_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, 7);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var clock = Stopwatch.StartNew();
        var (warmUp, counted) = (WarmUp(duration), false);
        long n = 0, first = 0;
        while (clock.Elapsed < duration + warmUp)
        {
            if (!counted && clock.Elapsed >= warmUp)
            {
                (counted, first) = (true, n);
                clock.Restart();
                warmUp = TimeSpan.Zero;
            }

            using var tx = connection.BeginTransaction(deferred: false);
            (session.Transaction, item.Transaction, change.Transaction) = (tx, tx, tx);
            for (var k = 0; k < PerTransaction; k++, n++)
            {
                var (key, s) = workload.Session(n, now);
                Run(session, key.MemberId, key.TitleId, key.SessionId, s.LastAtMs, s.HeadSeq, s.HeadTimestampMs, s.HeadEventId, s.PositionMs, s.DurationMs);
                Run(item, key.MemberId, key.TitleId, s.LastAtMs, s.PositionMs, s.DurationMs, 1, key.SessionId);
                Run(change, key.MemberId, key.TitleId, s.LastAtMs, s.PositionMs, s.DurationMs, 1, now);
            }

            tx.Commit();
        }

        return (n - first) / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Sessions per second into PostgreSQL; the three writes as unnest-array statements of 1,000 rows, one transaction.</summary>
    public static async Task<double> PostgresAsync(string connectionString, Workload workload, TimeSpan duration)
    {
        await using (var store = new PostgresHistoryStore(connectionString))
        {
            await store.InitializeAsync(CancellationToken.None);
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var clock = Stopwatch.StartNew();
        var (warmUp, counted) = (WarmUp(duration), false);
        long n = 0, first = 0;
        var (m, t, id, a, q, e, p, d, one, at) = (new string[PerTransaction], new string[PerTransaction], new string[PerTransaction], new long[PerTransaction],
            new int[PerTransaction], new string[PerTransaction], new long[PerTransaction], new long[PerTransaction], new int[PerTransaction], new long[PerTransaction]);
        while (clock.Elapsed < duration + warmUp)
        {
            if (!counted && clock.Elapsed >= warmUp)
            {
                (counted, first) = (true, n);
                clock.Restart();
                warmUp = TimeSpan.Zero;
            }

            for (var k = 0; k < PerTransaction; k++, n++)
            {
                var (key, s) = workload.Session(n, now);
                (m[k], t[k], id[k], a[k], q[k], e[k], p[k], d[k], one[k], at[k]) =
                    (key.MemberId, key.TitleId, key.SessionId, s.LastAtMs, s.HeadSeq, s.HeadEventId, s.PositionMs, s.DurationMs, 1, now);
            }

            await using var tx = await connection.BeginTransactionAsync();
            await using var batch = new NpgsqlBatch(connection, tx);
            batch.BatchCommands.Add(Command("""
                INSERT INTO sessions (member_id, title_id, session_id, last_at, head_seq, head_ts, head_event_id, position_ms, duration_ms)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::integer[], $4::bigint[], $6::text[], $7::bigint[], $8::bigint[])
                ON CONFLICT (member_id, title_id, session_id) DO UPDATE SET
                    last_at = excluded.last_at, head_seq = excluded.head_seq, head_ts = excluded.head_ts,
                    head_event_id = excluded.head_event_id, position_ms = excluded.position_ms, duration_ms = excluded.duration_ms
                """, m, t, id, a, q, e, p, d));
            batch.BatchCommands.Add(Command("""
                INSERT INTO items (member_id, title_id, last_watched_at, position_ms, duration_ms, sessions, latest_session_id)
                SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::integer[], $7::text[])
                ON CONFLICT (member_id, title_id) DO UPDATE SET
                    last_watched_at = excluded.last_watched_at, position_ms = excluded.position_ms, duration_ms = excluded.duration_ms,
                    sessions = excluded.sessions, latest_session_id = excluded.latest_session_id
                """, m, t, a, p, d, one, id));
            batch.BatchCommands.Add(Command("""
                INSERT INTO changes (member_id, title_id, last_watched_at, position_ms, duration_ms, sessions, changed_at)
                SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::integer[], $7::bigint[])
                """, m, t, a, p, d, one, at));
            await batch.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }

        return (n - first) / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Not counted: the first transactions run while the JIT is still tiering the loop up.</summary>
    private static TimeSpan WarmUp(TimeSpan duration) => TimeSpan.FromSeconds(Math.Min(1, duration.TotalSeconds / 3));

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, int parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 1; i <= parameters; i++)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = "$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        command.Prepare();
        return command;
    }

    private static void Run(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }

        command.ExecuteNonQuery();
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
