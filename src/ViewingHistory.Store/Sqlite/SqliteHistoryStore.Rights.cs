using Microsoft.Data.Sqlite;
using ViewingHistory.Core.History;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Store.Sqlite;

public sealed partial class SqliteHistoryStore
{
    // The erasure marks, the parts that must be clean of them, and which part is clean of which mark. The mark has a
    // table of its own: among the hide marks the export would list it as one.
    private const string RightsSchema = """
        CREATE TABLE IF NOT EXISTS erasures (
            member_id TEXT NOT NULL PRIMARY KEY,
            requested_at INTEGER NOT NULL,
            erased_through INTEGER NOT NULL,
            feed_position INTEGER NOT NULL,
            completed_at INTEGER NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS erasure_parts (
            part TEXT NOT NULL PRIMARY KEY,
            registered_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS erasure_clean (
            part TEXT NOT NULL,
            member_id TEXT NOT NULL,
            erased_through INTEGER NOT NULL,
            PRIMARY KEY (part, member_id)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO erasure_parts (part, registered_at) VALUES ('feed', 0);
        """;

    private const string ErasureColumns = "member_id, requested_at, erased_through, feed_position, completed_at";

    // Set once the first erasure exists: until then an apply skips reading the marks. This writer sets it for its own
    // erasures; another connection's commit moves PRAGMA data_version, and then the table is looked at again.
    private volatile bool _hasErasures;
    private long _erasuresCheckedAtVersion = -1;

    public Task<ErasureRecord> EraseMemberAsync(string memberId, long? requestedAtMs, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        return WriteAsync(
            (c, now) =>
            {
                var existing = ReadErasure(c, memberId);
                var requestedAt = requestedAtMs ?? now;
                if (existing is not null && (requestedAtMs is null ? existing.CompletedAtMs is null : existing.ErasedThroughMs >= ErasureMark.ThroughFor(requestedAt)))
                {
                    return existing; // pending (a repeat), or the shadow already holds this mark or a later one
                }

                var record = new ErasureRecord(
                    memberId,
                    requestedAt,
                    Math.Max(ErasureMark.ThroughFor(requestedAt), existing?.ErasedThroughMs ?? long.MinValue),
                    Scalar(c, "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)"),
                    null);
                var titles = new List<string>();
                using (var select = c.AdHoc("SELECT title_id FROM items WHERE member_id = $m ORDER BY title_id", ("$m", memberId)))
                using (var reader = select.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        titles.Add(reader.GetString(0));
                    }
                }

                foreach (var table in new[] { "sessions", "items", "member_marks", "title_marks", "erasure_clean" })
                {
                    using var delete = c.AdHoc($"DELETE FROM {table} WHERE member_id = $m", ("$m", memberId));
                    delete.ExecuteNonQuery();
                }

                foreach (var title in titles)
                {
                    Run(c.InsertChange, memberId, title, null, null, null, null, now);
                }

                using (var upsert = c.AdHoc(
                    $"INSERT OR REPLACE INTO erasures ({ErasureColumns}) VALUES ($m, $t, $e, $p, NULL)",
                    ("$m", memberId), ("$t", record.RequestedAtMs), ("$e", record.ErasedThroughMs), ("$p", record.FeedPosition)))
                {
                    upsert.ExecuteNonQuery();
                }

                _hasErasures = true;
                return record;
            },
            cancellationToken);
    }

    public async Task<ErasureStatus?> ReadErasureAsync(string memberId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        return await ReadAsync(connection =>
        {
            using var tx = connection.BeginTransaction(deferred: true);
            var erasure = ReadErasure(connection, tx, memberId);
            if (erasure is null)
            {
                return null;
            }

            var pending = new List<string>();
            if (erasure.CompletedAtMs is null)
            {
                using var command = Command(connection, tx, """
                    SELECT p.part FROM erasure_parts p WHERE NOT EXISTS (
                        SELECT 1 FROM erasure_clean d WHERE d.part = p.part AND d.member_id = $m AND d.erased_through >= $e)
                    ORDER BY p.part
                    """, ("$m", memberId), ("$e", erasure.ErasedThroughMs));
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    pending.Add(reader.GetString(0));
                }
            }

            return new ErasureStatus(erasure, pending);
        });
    }

    public async Task<IReadOnlyDictionary<string, long>> ReadErasureMarksAsync(IReadOnlyCollection<string> memberIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        if (memberIds.Count == 0 || !_hasErasures)
        {
            return new Dictionary<string, long>(StringComparer.Ordinal);
        }

        return await ReadAsync(connection =>
        {
            var marks = new Dictionary<string, long>(StringComparer.Ordinal);
            using var command = Command(connection, null, "SELECT e.member_id, e.erased_through FROM json_each($members) AS k JOIN erasures e ON e.member_id = k.value",
                ("$members", Json.Strings(memberIds)));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                marks[reader.GetString(0)] = reader.GetInt64(1);
            }

            return marks;
        });
    }

    public Task RegisterErasurePartAsync(string part, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(part);
        return WriteAsync(
            (c, now) =>
            {
                using var command = c.AdHoc("INSERT OR IGNORE INTO erasure_parts (part, registered_at) VALUES ($p, $at)", ("$p", part), ("$at", now));
                return command.ExecuteNonQuery();
            },
            cancellationToken);
    }

    public async Task<IReadOnlyList<ErasureRecord>> ReadPendingErasuresAsync(string part, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(part);
        if (!_hasErasures)
        {
            return [];
        }

        return await ReadAsync(connection =>
        {
            using var command = Command(connection, null, $"""
                SELECT {ErasureColumns} FROM erasures e WHERE completed_at IS NULL AND NOT EXISTS (
                    SELECT 1 FROM erasure_clean d WHERE d.part = $p AND d.member_id = e.member_id AND d.erased_through >= e.erased_through)
                ORDER BY requested_at, member_id
                """, ("$p", part));
            return ReadErasures(command);
        });
    }

    public Task MarkErasurePartCleanAsync(string part, string memberId, long erasedThroughMs, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(part);
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        return WriteAsync(
            (c, now) =>
            {
                using (var command = c.AdHoc("""
                    INSERT INTO erasure_clean (part, member_id, erased_through) VALUES ($p, $m, $e)
                    ON CONFLICT (part, member_id) DO UPDATE SET erased_through = excluded.erased_through WHERE excluded.erased_through > erasure_clean.erased_through
                    """, ("$p", part), ("$m", memberId), ("$e", erasedThroughMs)))
                {
                    command.ExecuteNonQuery();
                }

                return CompleteErasures(c, now);
            },
            cancellationToken);
    }

    public async Task<long> PurgeErasedChangesAsync(int positionsPerTransaction, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(positionsPerTransaction, 1);
        var pending = await ReadPendingErasuresAsync(ErasureParts.Feed, cancellationToken);
        if (pending.Count == 0)
        {
            return 0;
        }

        // One walk of the outbox for every pending erasure, a range of positions per transaction, by the primary key.
        var through = pending.Max(e => e.FeedPosition);
        var first = await ReadAsync(connection =>
        {
            using var command = Command(connection, null, "SELECT coalesce(min(position), 1) - 1 FROM changes");
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        });
        long deleted = 0;
        for (var from = first; from < through; from += positionsPerTransaction)
        {
            var (lo, hi) = (from, Math.Min(through, from + positionsPerTransaction));
            deleted += await WriteAsync(
                (c, _) =>
                {
                    using var command = c.AdHoc("""
                        DELETE FROM changes WHERE position > $lo AND position <= $hi AND last_watched_at IS NOT NULL
                            AND EXISTS (SELECT 1 FROM erasures e WHERE e.member_id = changes.member_id AND changes.position <= e.feed_position)
                        """, ("$lo", lo), ("$hi", hi));
                    return (long)command.ExecuteNonQuery();
                },
                cancellationToken);
        }

        foreach (var erasure in pending)
        {
            await MarkErasurePartCleanAsync(ErasureParts.Feed, erasure.MemberId, erasure.ErasedThroughMs, cancellationToken);
        }

        return deleted;
    }

    /// <summary>True when the file may hold an erasure mark (on the writer thread, inside its transaction).</summary>
    private bool MayHoldErasures(WriterCommands c)
    {
        if (_hasErasures)
        {
            return true;
        }

        var version = (long)c.DataVersion.ExecuteScalar()!;
        if (version != _erasuresCheckedAtVersion)
        {
            _erasuresCheckedAtVersion = version;
            _hasErasures = Scalar(c, "SELECT EXISTS (SELECT 1 FROM erasures)") == 1;
        }

        return _hasErasures;
    }

    /// <summary>Sets completedAt on every pending erasure that every registered part reports clean.</summary>
    private static int CompleteErasures(WriterCommands c, long now)
    {
        using var command = c.AdHoc("""
            UPDATE erasures SET completed_at = $now WHERE completed_at IS NULL AND NOT EXISTS (
                SELECT 1 FROM erasure_parts p WHERE NOT EXISTS (
                    SELECT 1 FROM erasure_clean d WHERE d.part = p.part AND d.member_id = erasures.member_id AND d.erased_through >= erasures.erased_through))
            """, ("$now", now));
        return command.ExecuteNonQuery();
    }

    private static ErasureRecord? ReadErasure(WriterCommands c, string memberId)
    {
        using var command = c.AdHoc($"SELECT {ErasureColumns} FROM erasures WHERE member_id = $m", ("$m", memberId));
        return ReadErasures(command).SingleOrDefault();
    }

    private static ErasureRecord? ReadErasure(SqliteConnection connection, SqliteTransaction? tx, string memberId)
    {
        using var command = Command(connection, tx, $"SELECT {ErasureColumns} FROM erasures WHERE member_id = $m", ("$m", memberId));
        return ReadErasures(command).SingleOrDefault();
    }

    private static List<ErasureRecord> ReadErasures(SqliteCommand command)
    {
        var records = new List<ErasureRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            records.Add(new ErasureRecord(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetInt64(4)));
        }

        return records;
    }

    private static long Scalar(WriterCommands c, string sql)
    {
        using var command = c.AdHoc(sql);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    /// <summary>Runs a read on a pooled reader connection of its own, mapping engine errors as every read does.</summary>
    private async Task<T> ReadAsync<T>(Func<SqliteConnection, T> read)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await Task.CompletedTask;
        try
        {
            using var connection = OpenReader();
            return read(connection);
        }
        catch (SqliteException e)
        {
            throw Map(e);
        }
    }

    /// <summary>Adds the session columns later versions keep (existing databases get them as NULL: "stored before").</summary>
    private static void MigrateSessions(SqliteConnection connection, SqliteTransaction tx)
    {
        var columns = new HashSet<string>(StringComparer.Ordinal);
        using (var info = Command(connection, tx, "SELECT name FROM pragma_table_info('sessions')"))
        using (var reader = info.ExecuteReader())
        {
            while (reader.Read())
            {
                columns.Add(reader.GetString(0));
            }
        }

        foreach (var (column, type) in new[] { ("started_at", "INTEGER"), ("head_device", "TEXT") })
        {
            if (!columns.Contains(column))
            {
                Execute(connection, $"ALTER TABLE sessions ADD COLUMN {column} {type} NULL", tx);
            }
        }
    }

    private static bool HasErasures(SqliteConnection connection, SqliteTransaction tx)
    {
        using var command = Command(connection, tx, "SELECT EXISTS (SELECT 1 FROM erasures)");
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }
}
