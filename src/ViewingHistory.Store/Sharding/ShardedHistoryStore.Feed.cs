namespace ViewingHistory.Store.Sharding;

/// <summary>
/// The change feed across shards. Per-shard positions cannot be merged into one growing number (shards commit
/// independently: a reader that took shard 0's position 500 would skip shard 1's next commit at 20). So the feed has one
/// order of its own: a store in the schema <c>feedSchema</c> of shard 0's database whose outbox is a copy of every
/// shard's outbox, each copied in its shard's commit order with its shard's watermark in the same transaction, and
/// whose positions are drawn under its feed lock (they commit in order: CONTRACT.md's "a reader never skips one").
/// Copies are made when the feed is read (positions assigned at read time, DESIGN.md "Traps"), so every change visible
/// in reads before a read of the feed is in it; the relay polling the feed keeps the copy current between readers.
/// A shard that is down is skipped: its changes are copied when it is back, at later positions. Shard 0's database
/// being down stops the feed (503), not the history.
/// </summary>
public sealed partial class ShardedHistoryStore
{
    private const int CopyPage = 1000;
    private static readonly TimeSpan ShardReadWait = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _copying = new(1, 1);

    public async Task<ChangePage> ReadChangesAsync(long after, int limit, CancellationToken cancellationToken)
    {
        await CopyShardChangesAsync(null, cancellationToken);
        return await _feed.ReadChangesAsync(after, limit, cancellationToken);
    }

    /// <summary>Prunes the global feed and every shard's outbox by the same age; a shard that is down is pruned next time.</summary>
    public async Task<long> PruneChangesAsync(long olderThanMs, CancellationToken cancellationToken)
    {
        // The count is the global feed's (what readers lose); the shards' outboxes are only the source of its copies.
        var pruned = await _feed.PruneChangesAsync(olderThanMs, cancellationToken);
        foreach (var shard in _shards)
        {
            try
            {
                await shard.PruneChangesAsync(olderThanMs, cancellationToken);
            }
            catch (StoreUnavailableException)
            {
                // Its outbox is only a source of copies; it is pruned on a later pass.
            }
        }

        return pruned;
    }

    /// <summary>
    /// Copies every reachable shard's new changes into the global feed. One copier per process at a time (readers arriving
    /// meanwhile wait for it, then copy what came since); copiers of several processes are kept apart by the watermark
    /// check inside each copy's transaction.
    /// </summary>
    private async Task CopyShardChangesAsync(int? only, CancellationToken cancellationToken)
    {
        await _copying.WaitAsync(cancellationToken);
        try
        {
            for (var shard = 0; shard < _shards.Length; shard++)
            {
                if (only is null || only == shard)
                {
                    await CopyShardAsync(shard, cancellationToken);
                }
            }
        }
        finally
        {
            _copying.Release();
        }
    }

    private async Task CopyShardAsync(int shard, CancellationToken cancellationToken)
    {
        while (true)
        {
            var watermark = await _feed.ReadShardWatermarkAsync(shard, cancellationToken);
            // A frozen shard answers nothing until the connection's command timeout: every reader of the feed would wait.
            var read = _shards[shard].ReadChangesAsync(watermark, CopyPage, cancellationToken);
            if (await Task.WhenAny(read, Task.Delay(ShardReadWait, cancellationToken)) != read)
            {
                _ = read.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                return;
            }

            ChangePage page;
            try
            {
                page = await read;
            }
            catch (StoreUnavailableException)
            {
                return; // the shard is down: its changes come later, at positions after every one handed out meanwhile
            }

            if (page.Next == watermark)
            {
                return;
            }

            // Fewer positions than a page scanned: the shard has nothing more now (a lost race with another copier: read again).
            if (await _feed.AppendShardChangesAsync(shard, watermark, page, cancellationToken) && page.Next - watermark < CopyPage)
            {
                return;
            }
        }
    }
}
