using Npgsql;
using ViewingHistory.Core.History;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Store.Postgres;

public sealed partial class PostgresHistoryStore
{
    // started_at and head_device came later: existing databases get them as NULL ("stored before the service kept
    // them"). The erasure marks have a table of their own (see IHistoryStore.Rights). The columns are added only where
    // the catalog lacks them: ALTER TABLE takes an ACCESS EXCLUSIVE lock on sessions before it looks, IF NOT EXISTS or
    // not, and every start of every node would then queue behind (and block) the processors' writes, and could
    // deadlock with them.
    private const string RightsSchemaSql = """
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                           WHERE table_schema = current_schema() AND table_name = 'sessions' AND column_name = 'started_at') THEN
                ALTER TABLE sessions ADD COLUMN started_at bigint NULL;
            END IF;
            IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                           WHERE table_schema = current_schema() AND table_name = 'sessions' AND column_name = 'head_device') THEN
                ALTER TABLE sessions ADD COLUMN head_device text NULL;
            END IF;
        END
        $$;
        CREATE TABLE IF NOT EXISTS erasures (
            member_id text COLLATE "C" NOT NULL PRIMARY KEY,
            requested_at bigint NOT NULL,
            erased_through bigint NOT NULL,
            feed_position bigint NOT NULL,
            completed_at bigint NULL
        );
        CREATE TABLE IF NOT EXISTS erasure_parts (
            part text COLLATE "C" NOT NULL PRIMARY KEY,
            registered_at bigint NOT NULL
        );
        CREATE TABLE IF NOT EXISTS erasure_clean (
            part text COLLATE "C" NOT NULL,
            member_id text COLLATE "C" NOT NULL,
            erased_through bigint NOT NULL,
            PRIMARY KEY (part, member_id)
        );
        INSERT INTO erasure_parts (part, registered_at) VALUES ('feed', 0) ON CONFLICT DO NOTHING;
        """;

    private const string ErasureColumns = "member_id, requested_at, erased_through, feed_position, completed_at";

    private const string CompleteErasuresSql = """
        UPDATE erasures e SET completed_at = $1 WHERE completed_at IS NULL AND NOT EXISTS (
            SELECT 1 FROM erasure_parts p WHERE NOT EXISTS (
                SELECT 1 FROM erasure_clean d WHERE d.part = p.part AND d.member_id = e.member_id AND d.erased_through >= e.erased_through))
        """;

    public Task<ErasureRecord> EraseMemberAsync(string memberId, long? requestedAtMs, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        return GuardAsync(
            async () =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await using (var batch = new NpgsqlBatch(connection, tx))
                {
                    AddMemberLocks(batch, [memberId]);
                    await batch.ExecuteNonQueryAsync(cancellationToken);
                }

                // T is taken under the member's lock: no apply of the member runs between it and the commit.
                var requestedAt = requestedAtMs ?? NowMs();
                var existing = await ReadErasureAsync(connection, tx, memberId, cancellationToken);
                if (existing is not null && (requestedAtMs is null ? existing.CompletedAtMs is null : existing.ErasedThroughMs >= ErasureMark.ThroughFor(requestedAt)))
                {
                    return existing;
                }

                // The feed lock makes max(position) the last position any writer has drawn, all of them committed.
                await ExecuteAsync(connection, tx, LockFeedSql, cancellationToken, _feedLockKey);
                var feedPosition = (long)(await ScalarAsync(connection, tx, "SELECT coalesce(max(position), 0) FROM changes", cancellationToken))!;
                var record = new ErasureRecord(
                    memberId, requestedAt, Math.Max(ErasureMark.ThroughFor(requestedAt), existing?.ErasedThroughMs ?? long.MinValue), feedPosition, null);
                var now = NowMs();
                await using (var batch = new NpgsqlBatch(connection, tx))
                {
                    batch.BatchCommands.Add(Command("""
                        INSERT INTO changes (member_id, title_id, last_watched_at, position_ms, duration_ms, sessions, changed_at)
                        SELECT member_id, title_id, NULL, NULL, NULL, NULL, $2 FROM items WHERE member_id = $1 ORDER BY title_id
                        """, memberId, now));
                    foreach (var table in new[] { "sessions", "items", "member_marks", "title_marks", "erasure_clean" })
                    {
                        batch.BatchCommands.Add(Command($"DELETE FROM {table} WHERE member_id = $1", memberId));
                    }

                    batch.BatchCommands.Add(Command($"""
                        INSERT INTO erasures ({ErasureColumns}) VALUES ($1, $2, $3, $4, NULL)
                        ON CONFLICT (member_id) DO UPDATE SET requested_at = excluded.requested_at, erased_through = excluded.erased_through,
                            feed_position = excluded.feed_position, completed_at = NULL
                        """, memberId, record.RequestedAtMs, record.ErasedThroughMs, record.FeedPosition));
                    await batch.ExecuteNonQueryAsync(cancellationToken);
                }

                await tx.CommitAsync(cancellationToken);
                return record;
            },
            cancellationToken);
    }

    public Task<ErasureStatus?> ReadErasureAsync(string memberId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        return GuardAsync(
            async () =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
                var erasure = await ReadErasureAsync(connection, tx, memberId, cancellationToken);
                if (erasure is null)
                {
                    return null;
                }

                var pending = new List<string>();
                if (erasure.CompletedAtMs is null)
                {
                    await using var command = new NpgsqlCommand("""
                        SELECT p.part FROM erasure_parts p WHERE NOT EXISTS (
                            SELECT 1 FROM erasure_clean d WHERE d.part = p.part AND d.member_id = $1 AND d.erased_through >= $2)
                        ORDER BY p.part
                        """, connection, tx);
                    command.Parameters.Add(new NpgsqlParameter { Value = memberId });
                    command.Parameters.Add(new NpgsqlParameter { Value = erasure.ErasedThroughMs });
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        pending.Add(reader.GetString(0));
                    }
                }

                return (ErasureStatus?)new ErasureStatus(erasure, pending);
            },
            cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, long>> ReadErasureMarksAsync(IReadOnlyCollection<string> memberIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        return GuardAsync<IReadOnlyDictionary<string, long>>(
            async () =>
            {
                var marks = new Dictionary<string, long>(StringComparer.Ordinal);
                if (memberIds.Count == 0)
                {
                    return marks;
                }

                await using var command = _dataSource.CreateCommand(ErasureMarksOfMembersSql);
                command.Parameters.Add(new NpgsqlParameter { Value = memberIds.ToArray() });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    marks[reader.GetString(0)] = reader.GetInt64(1);
                }

                return marks;
            },
            cancellationToken);
    }

    public Task RegisterErasurePartAsync(string part, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(part);
        return GuardAsync(
            async () =>
            {
                await using var command = _dataSource.CreateCommand("INSERT INTO erasure_parts (part, registered_at) VALUES ($1, $2) ON CONFLICT DO NOTHING");
                command.Parameters.Add(new NpgsqlParameter { Value = part });
                command.Parameters.Add(new NpgsqlParameter { Value = NowMs() });
                return await command.ExecuteNonQueryAsync(cancellationToken);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<ErasureRecord>> ReadPendingErasuresAsync(string part, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(part);
        return GuardAsync<IReadOnlyList<ErasureRecord>>(
            async () =>
            {
                await using var command = _dataSource.CreateCommand($"""
                    SELECT {ErasureColumns} FROM erasures e WHERE completed_at IS NULL AND NOT EXISTS (
                        SELECT 1 FROM erasure_clean d WHERE d.part = $1 AND d.member_id = e.member_id AND d.erased_through >= e.erased_through)
                    ORDER BY requested_at, member_id
                    """);
                command.Parameters.Add(new NpgsqlParameter { Value = part });
                return await ReadErasuresAsync(command, cancellationToken);
            },
            cancellationToken);
    }

    public Task MarkErasurePartCleanAsync(string part, string memberId, long erasedThroughMs, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(part);
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        return GuardAsync(
            async () =>
            {
                await using var batch = _dataSource.CreateBatch();
                batch.BatchCommands.Add(Command("""
                    INSERT INTO erasure_clean AS d (part, member_id, erased_through) VALUES ($1, $2, $3)
                    ON CONFLICT (part, member_id) DO UPDATE SET erased_through = excluded.erased_through WHERE excluded.erased_through > d.erased_through
                    """, part, memberId, erasedThroughMs));
                batch.BatchCommands.Add(Command(CompleteErasuresSql, NowMs()));
                return await batch.ExecuteNonQueryAsync(cancellationToken);
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

        var through = pending.Max(e => e.FeedPosition);
        var first = await GuardAsync(
            async () =>
            {
                await using var command = _dataSource.CreateCommand("SELECT coalesce(min(position), 1) - 1 FROM changes");
                return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            },
            cancellationToken);
        long deleted = 0;

        // Ranges of the primary key, one statement each: no index on the outbox by member to pay for on every write.
        for (var from = first; from < through; from += positionsPerTransaction)
        {
            var (lo, hi) = (from, Math.Min(through, from + positionsPerTransaction));
            deleted += await GuardAsync(
                async () =>
                {
                    await using var command = _dataSource.CreateCommand("""
                        DELETE FROM changes c USING erasures e
                        WHERE c.position > $1 AND c.position <= $2 AND c.last_watched_at IS NOT NULL
                            AND e.member_id = c.member_id AND c.position <= e.feed_position
                        """);
                    command.Parameters.Add(new NpgsqlParameter { Value = lo });
                    command.Parameters.Add(new NpgsqlParameter { Value = hi });
                    return (long)await command.ExecuteNonQueryAsync(cancellationToken);
                },
                cancellationToken);
        }

        foreach (var erasure in pending)
        {
            await MarkErasurePartCleanAsync(ErasureParts.Feed, erasure.MemberId, erasure.ErasedThroughMs, cancellationToken);
        }

        return deleted;
    }

    private static async Task<ErasureRecord?> ReadErasureAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string memberId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {ErasureColumns} FROM erasures WHERE member_id = $1", connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = memberId });
        return (await ReadErasuresAsync(command, cancellationToken)).SingleOrDefault();
    }

    private static async Task<List<ErasureRecord>> ReadErasuresAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var records = new List<ErasureRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new ErasureRecord(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetInt64(4)));
        }

        return records;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        return await command.ExecuteScalarAsync(cancellationToken);
    }
}
