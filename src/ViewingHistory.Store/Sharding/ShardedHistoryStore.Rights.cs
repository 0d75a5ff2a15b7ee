using ViewingHistory.Store.Rights;

namespace ViewingHistory.Store.Sharding;

public sealed partial class ShardedHistoryStore
{
    /// <summary>
    /// Erases on the member's shard, then makes the global feed leave the member's earlier changes out. Both before the
    /// answer: when the global feed cannot take it, the erasure is recorded on the shard but the caller gets the
    /// failure (a 503), and a repeat (which returns the same pending mark) finishes it; the feed's purge also records
    /// every pending erasure it finds.
    /// </summary>
    public async Task<ErasureRecord> EraseMemberAsync(string memberId, long? requestedAtMs, CancellationToken cancellationToken)
    {
        var shard = ShardOf(memberId);
        var record = await _shards[shard].EraseMemberAsync(memberId, requestedAtMs, cancellationToken);

        // The shard's changes up to the erasure are copied first, so the global feed's position of the erasure sits right
        // after them (a shard that went down meanwhile is skipped: its earlier changes are left out when copied later).
        await CopyShardChangesAsync(shard, cancellationToken);
        return record with { FeedPosition = (await GlobalErasureAsync(record, cancellationToken)).FeedPosition };
    }

    /// <summary>The member's shard's record, with the global feed's position where the global feed knows the erasure.</summary>
    public async Task<ErasureStatus?> ReadErasureAsync(string memberId, CancellationToken cancellationToken)
    {
        if (await For(memberId).ReadErasureAsync(memberId, cancellationToken) is not { } status)
        {
            return null;
        }

        try
        {
            return await _feed.ReadErasureAsync(memberId, cancellationToken) is { } known && known.Erasure.ErasedThroughMs == status.Erasure.ErasedThroughMs
                ? status with { Erasure = status.Erasure with { FeedPosition = known.Erasure.FeedPosition } }
                : status;
        }
        catch (StoreUnavailableException)
        {
            return status; // the member's own shard answered: its status stands
        }
    }

    public async Task<IReadOnlyDictionary<string, long>> ReadErasureMarksAsync(IReadOnlyCollection<string> memberIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        var byShard = memberIds.GroupBy(ShardOf).ToList();
        if (byShard.Count == 1)
        {
            return await _shards[byShard[0].Key].ReadErasureMarksAsync(memberIds, cancellationToken);
        }

        var marks = await Task.WhenAll(byShard.Select(g => _shards[g.Key].ReadErasureMarksAsync([.. g], cancellationToken)));
        return marks.SelectMany(m => m).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
    }

    /// <summary>The member's shard's snapshot; its erasure, if any, carries the global feed's position (as <see cref="ReadErasureAsync"/>).</summary>
    public async Task ExportAsync(string memberId, IMemberExportSink sink, CancellationToken cancellationToken)
    {
        ErasureRecord? global = null;
        try
        {
            global = (await _feed.ReadErasureAsync(memberId, cancellationToken))?.Erasure;
        }
        catch (StoreUnavailableException)
        {
            // The export is the shard's: a feed that cannot be read only leaves the shard's position in the record.
        }

        await For(memberId).ExportAsync(memberId, new GlobalPositionSink(sink, global), cancellationToken);
    }

    /// <summary>On every shard: each shard completes its own members' erasures.</summary>
    public Task RegisterErasurePartAsync(string part, CancellationToken cancellationToken) =>
        Task.WhenAll(_shards.Select(s => s.RegisterErasurePartAsync(part, cancellationToken)));

    /// <summary>The parts registered on any shard, in ordinal order (each shard registers every part; see <see cref="RegisterErasurePartAsync"/>).</summary>
    public async Task<IReadOnlyList<string>> ReadErasurePartsAsync(CancellationToken cancellationToken)
    {
        var perShard = await Task.WhenAll(_shards.Select(s => s.ReadErasurePartsAsync(cancellationToken)));
        return [.. perShard.SelectMany(p => p).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>On every shard, so that each completes its own members' erasures without the part.</summary>
    public Task RetireErasurePartAsync(string part, CancellationToken cancellationToken) =>
        Task.WhenAll(_shards.Select(s => s.RetireErasurePartAsync(part, cancellationToken)));

    /// <summary>True while any shard's data is there: a part is only retired once no shard holds data it must clean.</summary>
    public async Task<bool> ExistsAsync(CancellationToken cancellationToken) =>
        (await Task.WhenAll(_shards.Select(s => s.ExistsAsync(cancellationToken)))).Any(exists => exists);

    /// <summary>
    /// The pending erasures of every shard, oldest request first, each with the global feed's position
    /// (<see cref="ErasureRecord.FeedPosition"/> is a position of this store's feed, as for one store).
    /// </summary>
    public async Task<IReadOnlyList<ErasureRecord>> ReadPendingErasuresAsync(string part, CancellationToken cancellationToken)
    {
        var perShard = await Task.WhenAll(_shards.Select(s => s.ReadPendingErasuresAsync(part, cancellationToken)));
        var pending = new List<ErasureRecord>();
        foreach (var erasure in perShard.SelectMany(p => p))
        {
            var global = await GlobalErasureAsync(erasure, cancellationToken);
            pending.Add(erasure with { FeedPosition = global.FeedPosition });
        }

        return [.. pending.OrderBy(e => e.RequestedAtMs).ThenBy(e => e.MemberId, StringComparer.Ordinal)];
    }

    public Task MarkErasurePartCleanAsync(string part, string memberId, long erasedThroughMs, CancellationToken cancellationToken) =>
        For(memberId).MarkErasurePartCleanAsync(part, memberId, erasedThroughMs, cancellationToken);

    /// <summary>
    /// The feed's part, in an order that never reports clean too early: every shard's pending erasures are made known to
    /// the global feed, the global feed's copies are purged, and only then each shard purges its own outbox and reports
    /// its members' feed part clean. A shard that is down is skipped (its members' erasures stay pending) and the first
    /// failure is thrown once the others are done.
    /// </summary>
    public async Task<long> PurgeErasedChangesAsync(int positionsPerTransaction, CancellationToken cancellationToken)
    {
        var ready = new List<Postgres.PostgresHistoryStore>();
        Exception? failure = null;
        for (var i = 0; i < _shards.Length; i++)
        {
            try
            {
                foreach (var erasure in await _shards[i].ReadPendingErasuresAsync(ErasureParts.Feed, cancellationToken))
                {
                    await GlobalErasureAsync(erasure, cancellationToken);
                }

                ready.Add(_shards[i]);
            }
            catch (StoreUnavailableException e)
            {
                failure ??= e;
            }
        }

        // Counted once per change, in the shard's outbox it came from (the global copy may not have been made yet).
        await _feed.PurgeErasedChangesAsync(positionsPerTransaction, cancellationToken);
        long deleted = 0;
        foreach (var shard in ready)
        {
            try
            {
                deleted += await shard.PurgeErasedChangesAsync(positionsPerTransaction, cancellationToken);
            }
            catch (StoreUnavailableException e)
            {
                failure ??= e;
            }
        }

        if (failure is not null)
        {
            throw failure;
        }

        return deleted;
    }

    /// <summary>The global feed's record of a shard's erasure, recording it there first when it does not know it yet.</summary>
    private async Task<ErasureRecord> GlobalErasureAsync(ErasureRecord shardErasure, CancellationToken cancellationToken)
    {
        if (await _feed.ReadErasureAsync(shardErasure.MemberId, cancellationToken) is { } known && known.Erasure.ErasedThroughMs >= shardErasure.ErasedThroughMs)
        {
            return known.Erasure;
        }

        return await _feed.RecordShardErasureAsync(ShardOf(shardErasure.MemberId), shardErasure, cancellationToken);
    }
}
