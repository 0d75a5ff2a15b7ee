using Npgsql;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Store.Postgres;

/// <summary>
/// The global feed of a sharded store (<see cref="Sharding.ShardedHistoryStore"/>): a store in a schema of its own whose
/// outbox is filled, not by applies, but by copying each shard's outbox in that shard's commit order. Its positions are
/// drawn under the same feed lock as every other change of this store, so they commit in order (see
/// <c>LockFeedSql</c>), and each copy commits with its shard's watermark: a change is copied exactly once.
/// </summary>
public sealed partial class PostgresHistoryStore
{
    private const string SequencerSchemaSql = """
        CREATE TABLE IF NOT EXISTS shard_watermarks (
            shard integer NOT NULL PRIMARY KEY,
            position bigint NOT NULL
        );
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                           WHERE table_schema = current_schema() AND table_name = 'changes' AND column_name = 'shard_position') THEN
                ALTER TABLE changes ADD COLUMN shard integer NULL, ADD COLUMN shard_position bigint NULL;
            END IF;
        END
        $$;
        CREATE TABLE IF NOT EXISTS shard_erasures (
            member_id text COLLATE "C" NOT NULL PRIMARY KEY,
            erased_through bigint NOT NULL,
            shard_position bigint NOT NULL
        );
        """;

    /// <summary>
    /// True for the global feed of a sharded store: its initialization (at start or deferred, see
    /// <see cref="InitializeAsync"/>) also creates the sequencer's tables, in the same transaction.
    /// </summary>
    internal bool IsGlobalFeed { get; init; }

    /// <summary>The position of <paramref name="shard"/>'s outbox up to which its changes are copied (0: none).</summary>
    public Task<long> ReadShardWatermarkAsync(int shard, CancellationToken cancellationToken) =>
        GuardAsync(
            async () =>
            {
                await using var command = _dataSource.CreateCommand("SELECT coalesce((SELECT position FROM shard_watermarks WHERE shard = $1), 0)");
                command.Parameters.Add(new NpgsqlParameter { Value = shard });
                return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            },
            cancellationToken);

    /// <summary>
    /// Appends <paramref name="page"/>, read from <paramref name="shard"/>'s outbox after <paramref name="watermark"/>,
    /// and moves the shard's watermark to its <see cref="ChangePage.Next"/>, in one transaction under the feed lock;
    /// returns false (and writes nothing) when another copier moved the watermark meanwhile. The page was read outside
    /// the lock (a slow shard must not hold every other shard's copy), so an erasure may have committed since: an
    /// item-carrying change of a member whose erasure this feed already knows (<see cref="RecordShardErasureAsync"/>)
    /// at or below the erasure's shard position is left out here, as the shard's own read would now leave it out.
    /// </summary>
    public Task<bool> AppendShardChangesAsync(int shard, long watermark, ChangePage page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        return GuardAsync(
            async () =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, tx, LockFeedSql, cancellationToken, _feedLockKey);
                await using (var check = new NpgsqlCommand("SELECT coalesce((SELECT position FROM shard_watermarks WHERE shard = $1), 0)", connection, tx))
                {
                    check.Parameters.Add(new NpgsqlParameter { Value = shard });
                    if ((long)(await check.ExecuteScalarAsync(cancellationToken))! != watermark)
                    {
                        return false;
                    }
                }

                await using var batch = new NpgsqlBatch(connection, tx);
                if (page.Changes.Count > 0)
                {
                    var changes = page.Changes;
                    batch.BatchCommands.Add(Command(
                        """
                        INSERT INTO changes (member_id, title_id, last_watched_at, position_ms, duration_ms, sessions, changed_at, shard, shard_position)
                        SELECT k.m, k.t, k.lw, k.p, k.d, k.s, k.at, $9, k.pos
                        FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::integer[], $7::bigint[], $8::bigint[])
                            WITH ORDINALITY AS k(m, t, lw, p, d, s, at, pos, n)
                        WHERE k.lw IS NULL OR NOT EXISTS (SELECT 1 FROM shard_erasures e WHERE e.member_id = k.m AND k.pos <= e.shard_position)
                        ORDER BY k.n
                        """,
                        changes.Select(c => c.MemberId).ToArray(),
                        changes.Select(c => c.TitleId).ToArray(),
                        changes.Select(c => c.Item?.LastWatchedAtMs).ToArray(),
                        changes.Select(c => c.Item?.PositionMs).ToArray(),
                        changes.Select(c => c.Item?.DurationMs).ToArray(),
                        changes.Select(c => c.Item?.Sessions).ToArray(),
                        changes.Select(c => c.ChangedAtMs).ToArray(),
                        changes.Select(c => c.Position).ToArray(),
                        shard));
                }

                batch.BatchCommands.Add(Command(
                    "INSERT INTO shard_watermarks (shard, position) VALUES ($1, $2) ON CONFLICT (shard) DO UPDATE SET position = excluded.position",
                    shard,
                    page.Next));
                await batch.ExecuteNonQueryAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
                return true;
            },
            cancellationToken);
    }

    /// <summary>
    /// Makes this feed know an erasure that <paramref name="shard"/> recorded (<paramref name="shardErasure"/>, its feed
    /// position the shard's): from now on the member's earlier item-carrying changes are left out of
    /// <see cref="ReadChangesAsync"/> (those already copied, through an erasure mark of this store at the last copied
    /// position of the shard's up to the erasure) and never copied (those still to come). Idempotent; a mark never moves
    /// back. Returns this feed's record of it (its feed position this feed's).
    /// </summary>
    public Task<ErasureRecord> RecordShardErasureAsync(int shard, ErasureRecord shardErasure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shardErasure);
        return GuardAsync(
            async () =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, tx, LockFeedSql, cancellationToken, _feedLockKey);
                var existing = await ReadErasureAsync(connection, tx, shardErasure.MemberId, cancellationToken);
                if (existing is not null && existing.ErasedThroughMs >= shardErasure.ErasedThroughMs)
                {
                    return existing;
                }

                long feedPosition;
                await using (var last = new NpgsqlCommand("SELECT coalesce(max(position), 0) FROM changes WHERE shard = $1 AND shard_position <= $2", connection, tx))
                {
                    last.Parameters.Add(new NpgsqlParameter { Value = shard });
                    last.Parameters.Add(new NpgsqlParameter { Value = shardErasure.FeedPosition });
                    feedPosition = (long)(await last.ExecuteScalarAsync(cancellationToken))!;
                }

                var record = shardErasure with { FeedPosition = feedPosition, CompletedAtMs = null };
                await using var batch = new NpgsqlBatch(connection, tx);
                batch.BatchCommands.Add(Command($"""
                    INSERT INTO erasures ({ErasureColumns}) VALUES ($1, $2, $3, $4, NULL)
                    ON CONFLICT (member_id) DO UPDATE SET requested_at = excluded.requested_at, erased_through = excluded.erased_through,
                        feed_position = excluded.feed_position, completed_at = NULL
                    """, record.MemberId, record.RequestedAtMs, record.ErasedThroughMs, record.FeedPosition));
                batch.BatchCommands.Add(Command("""
                    INSERT INTO shard_erasures (member_id, erased_through, shard_position) VALUES ($1, $2, $3)
                    ON CONFLICT (member_id) DO UPDATE SET erased_through = excluded.erased_through, shard_position = excluded.shard_position
                    """, record.MemberId, record.ErasedThroughMs, shardErasure.FeedPosition));
                batch.BatchCommands.Add(Command("DELETE FROM erasure_clean WHERE member_id = $1", record.MemberId));
                await batch.ExecuteNonQueryAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
                return record;
            },
            cancellationToken);
    }
}
