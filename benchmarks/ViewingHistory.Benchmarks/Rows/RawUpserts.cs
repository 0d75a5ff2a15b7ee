using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ViewingHistory.Benchmarks.Rows;

/// <summary>
/// The store ceilings of row 3: raw batched upserts of session-shaped rows, new keys, 1,000 per transaction, with
/// nothing of the product's logic (no reads, no items, no change feed). SQLite: WAL, synchronous=NORMAL, one prepared
/// statement per row. PostgreSQL: one statement per 1,000 rows via unnest arrays.
/// </summary>
public static class RawUpserts
{
    private const int PerTransaction = 1000;

    public static double Sqlite(string path, TimeSpan duration)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        Exec(connection, """
            PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
            CREATE TABLE s (m TEXT NOT NULL, t TEXT NOT NULL, id TEXT NOT NULL, last_at INTEGER NOT NULL, seq INTEGER NOT NULL,
                ts INTEGER NOT NULL, eid TEXT NOT NULL, pos INTEGER NOT NULL, dur INTEGER NOT NULL, PRIMARY KEY (m, t, id)) WITHOUT ROWID;
            """);
        using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO s VALUES ($m, $t, $id, $a, $q, $ts, $e, $p, $d)
            ON CONFLICT (m, t, id) DO UPDATE SET last_at = excluded.last_at, seq = excluded.seq, ts = excluded.ts, eid = excluded.eid, pos = excluded.pos, dur = excluded.dur
            """;
        var parameters = new[] { "$m", "$t", "$id", "$a", "$q", "$ts", "$e", "$p", "$d" }.Select(n => insert.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
        insert.Prepare();
        var clock = Stopwatch.StartNew();
        long rows = 0;
        while (clock.Elapsed < duration)
        {
            using var tx = connection.BeginTransaction(deferred: false);
            insert.Transaction = tx;
            for (var k = 0; k < PerTransaction; k++, rows++)
            {
                parameters[0].Value = "rawm" + (rows / 2);
                parameters[1].Value = "t" + (rows % 2);
                parameters[2].Value = "s" + rows;
                parameters[3].Value = rows;
                parameters[4].Value = 1;
                parameters[5].Value = rows;
                parameters[6].Value = "e" + rows;
                parameters[7].Value = 30_000;
                parameters[8].Value = 3_600_000;
                insert.ExecuteNonQuery();
            }

            tx.Commit();
        }

        return rows / clock.Elapsed.TotalSeconds;
    }

    public static async Task<double> PostgresAsync(string connectionString, TimeSpan duration)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand("""
            CREATE TABLE s (m text NOT NULL, t text NOT NULL, id text NOT NULL, last_at bigint NOT NULL, seq int NOT NULL,
                ts bigint NOT NULL, eid text NOT NULL, pos bigint NOT NULL, dur bigint NOT NULL, PRIMARY KEY (m, t, id))
            """, connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        var clock = Stopwatch.StartNew();
        long rows = 0;
        while (clock.Elapsed < duration)
        {
            var (m, t, id, a, e) = (new string[PerTransaction], new string[PerTransaction], new string[PerTransaction], new long[PerTransaction], new string[PerTransaction]);
            for (var k = 0; k < PerTransaction; k++, rows++)
            {
                (m[k], t[k], id[k], a[k], e[k]) = ("rawm" + (rows / 2), "t" + (rows % 2), "s" + rows, rows, "e" + rows);
            }

            await using var upsert = new NpgsqlCommand("""
                INSERT INTO s SELECT m, t, id, a, 1, a, e, 30000, 3600000 FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) AS u(m, t, id, a, e)
                ON CONFLICT (m, t, id) DO UPDATE SET last_at = excluded.last_at, seq = excluded.seq, ts = excluded.ts, eid = excluded.eid, pos = excluded.pos, dur = excluded.dur
                """, connection);
            foreach (var value in new object[] { m, t, id, a, e })
            {
                upsert.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            await upsert.ExecuteNonQueryAsync(); // autocommit: one transaction per statement
        }

        return rows / clock.Elapsed.TotalSeconds;
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
