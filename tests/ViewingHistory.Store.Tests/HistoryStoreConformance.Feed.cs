using static ViewingHistory.Store.Tests.Events;

namespace ViewingHistory.Store.Tests;

public abstract partial class HistoryStoreConformance
{
    [Fact]
    public async Task A_redelivered_batch_changes_nothing_and_adds_no_change_to_the_feed()
    {
        var batch = new[] { Event("m", "t", "s", 0, 0, 0), Event("m", "t", "s", 1, 10, 9_000), Event("m", "u", "s", 0, 5, 0) };
        Assert.Equal(new ApplyResult(2, 2), await ApplyAsync(batch));
        var first = await Store.ReadChangesAsync(0, 100, None);
        Assert.Equal(2, first.Changes.Count);

        Assert.Equal(new ApplyResult(0, 0), await ApplyAsync(batch));
        Assert.Equal(new ApplyResult(0, 0), await ApplyAsync(batch[0]));

        var after = await Store.ReadChangesAsync(first.Next, 100, None);
        Assert.Empty(after.Changes);
        Assert.Equal(first.Next, after.Next);
    }

    [Fact]
    public async Task A_session_update_that_leaves_the_item_unchanged_adds_no_change()
    {
        await ApplyAsync(Event("m", "t", "new", 0, 20, 5_000));
        var first = await Store.ReadChangesAsync(0, 100, None);

        // An older session is counted: the item changes (sessions 2). Its later head moves nothing visible.
        await ApplyAsync(Event("m", "t", "old", 0, 10, 1_000));
        await ApplyAsync(Event("m", "t", "old", 1, 11, 2_000));
        var changes = (await Store.ReadChangesAsync(first.Next, 100, None)).Changes;
        Assert.Equal(2, Assert.Single(changes).Item!.Sessions);
    }

    [Fact]
    public async Task The_feed_pages_in_growing_positions_and_next_stays_put_when_nothing_follows()
    {
        for (var i = 0; i < 12; i++)
        {
            await ApplyAsync(Event("m", $"t{i}", "s", 0, i, 0));
        }

        var positions = new List<long>();
        var next = 0L;
        for (var page = await Store.ReadChangesAsync(next, 5, None); page.Changes.Count > 0; page = await Store.ReadChangesAsync(next, 5, None))
        {
            Assert.True(page.Changes.Count <= 5);
            positions.AddRange(page.Changes.Select(c => c.Position));
            Assert.Equal(page.Changes[^1].Position, page.Next);
            next = page.Next;
        }

        Assert.Equal(12, positions.Count);
        Assert.Equal(positions.Order(), positions);
        Assert.Equal(positions.Distinct(), positions);
        var empty = await Store.ReadChangesAsync(next, 5, None);
        Assert.Equal(next, empty.Next);
        Assert.Equal(next + 1000, (await Store.ReadChangesAsync(next + 1000, 5, None)).Next);
    }

    [Fact]
    public async Task Pruning_drops_old_changes_keeps_the_newest_and_positions_keep_growing_after_a_restart()
    {
        Clock.NowMs = 1_000;
        await ApplyAsync(Event("m", "a", "s", 0, 0, 0));
        Clock.NowMs = 2_000;
        await ApplyAsync(Event("m", "b", "s", 0, 0, 0));
        Clock.NowMs = 3_000;
        await ApplyAsync(Event("m", "c", "s", 0, 0, 0));
        var all = (await Store.ReadChangesAsync(0, 100, None)).Changes;
        Assert.Equal([1_000L, 2_000L, 3_000L], all.Select(c => c.ChangedAtMs));

        Assert.Equal(2, await Store.PruneChangesAsync(2_500, None));
        var kept = await Store.ReadChangesAsync(0, 100, None);
        Assert.Equal([all[2]], kept.Changes);

        // A reader behind the retention starts at the oldest change kept.
        Assert.Equal([all[2]], (await Store.ReadChangesAsync(all[0].Position, 100, None)).Changes);

        Assert.Equal(0, await Store.PruneChangesAsync(10_000, None));
        Assert.Single((await Store.ReadChangesAsync(0, 100, None)).Changes);

        await Store.DisposeAsync();
        Store = await OpenAsync();
        await ApplyAsync(Event("m", "d", "s", 0, 0, 0));
        var latest = Assert.Single((await Store.ReadChangesAsync(all[2].Position, 100, None)).Changes);
        Assert.True(latest.Position > all[2].Position);
        Assert.Equal(4, (await ReadAllAsync("m")).Count);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_reader_tailing_the_feed_during_concurrent_writes_misses_no_change()
    {
        // Positions that commit out of order would let a tailing reader move past a change still in flight.
        var writers = new List<IHistoryStore>();
        for (var w = 0; w < 4; w++)
        {
            writers.Add(await OpenAsync());
        }

        var seen = new List<long>();
        using var done = new CancellationTokenSource();
        var tail = Task.Run(async () =>
        {
            var next = 0L;
            while (true)
            {
                var finished = done.IsCancellationRequested;
                var page = await Store.ReadChangesAsync(next, 1000, None);
                seen.AddRange(page.Changes.Select(c => c.Position));
                next = page.Next;
                if (finished && page.Changes.Count == 0)
                {
                    return;
                }
            }
        });

        try
        {
            await Task.WhenAll(writers.Select((store, w) => Task.Run(async () =>
            {
                for (var i = 0; i < 60; i++)
                {
                    await store.ApplyAsync(Reduce(Event($"w{w}m{i % 5}", $"t{i}", "s", 0, i, 0), Event($"w{w}m{(i + 1) % 5}", $"t{i}", "s", 0, i, 0)), None);
                }
            })));
        }
        finally
        {
            await done.CancelAsync();
            foreach (var store in writers)
            {
                await store.DisposeAsync();
            }
        }

        await tail;
        var all = new List<long>();
        for (var page = await Store.ReadChangesAsync(0, 1000, None); page.Changes.Count > 0; page = await Store.ReadChangesAsync(page.Next, 1000, None))
        {
            all.AddRange(page.Changes.Select(c => c.Position));
        }

        Assert.Equal(4 * 60 * 2, all.Count);
        Assert.Equal(all, seen);
    }
}
