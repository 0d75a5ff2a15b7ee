using ViewingHistory.Core.History;
using static ViewingHistory.Store.Tests.Events;

namespace ViewingHistory.Store.Tests;

public abstract partial class HistoryStoreConformance
{
    [Fact]
    public async Task A_hidden_title_stays_hidden_when_an_old_session_arrives_and_shows_again_for_a_new_one()
    {
        await ApplyAsync(Event("m", "t", "s1", 0, 10, 10_000), Event("m", "other", "s1", 0, 10, 10_000));
        await Store.HideTitleAsync("m", "t", T0 + 20_000, None);
        Assert.Null(await Store.ReadItemAsync("m", "t", None));
        Assert.NotNull(await Store.ReadItemAsync("m", "other", None));

        await ApplyAsync(Event("m", "t", "s2", 0, 15, 15_000));
        await ApplyAsync(Event("m", "t", "s3", 0, 20, 20_000)); // lastAt equal to the mark: does not count
        Assert.Null(await Store.ReadItemAsync("m", "t", None));

        await ApplyAsync(Event("m", "t", "s4", 0, 30, 30_000));
        Assert.Equal(new HistoryItem("t", T0 + 30_000, 30_000, 100_000, 1), await Store.ReadItemAsync("m", "t", None));
    }

    [Fact]
    public async Task A_session_that_continues_past_a_hide_counts_again()
    {
        await ApplyAsync(Event("m", "t", "s", 0, 10, 10_000));
        await Store.HideTitleAsync("m", "t", T0 + 20_000, None);
        Assert.Null(await Store.ReadItemAsync("m", "t", None));

        await ApplyAsync(Event("m", "t", "s", 1, 25, 25_000));
        Assert.Equal(new HistoryItem("t", T0 + 25_000, 25_000, 100_000, 1), await Store.ReadItemAsync("m", "t", None));
    }

    [Fact]
    public async Task Hiding_everything_covers_titles_whose_events_arrive_later()
    {
        await ApplyAsync(Event("m", "a", "s", 0, 10, 1_000), Event("m", "b", "s", 0, 30, 1_000), Event("keep", "a", "s", 0, 10, 1_000));
        await Store.HideAllAsync("m", T0 + 20_000, None);

        Assert.Equal(["b"], (await ReadAllAsync("m")).Select(i => i.TitleId));
        await ApplyAsync(Event("m", "late", "s", 0, 5, 1_000));
        Assert.Null(await Store.ReadItemAsync("m", "late", None));
        Assert.NotNull(await Store.ReadItemAsync("keep", "a", None));

        await ApplyAsync(Event("m", "new", "s", 0, 40, 1_000));
        Assert.Equal(["new", "b"], (await ReadAllAsync("m")).Select(i => i.TitleId));
    }

    [Fact]
    public async Task A_hide_mark_never_moves_back()
    {
        await Store.HideTitleAsync("m", "t", T0 + 20_000, None);
        await Store.HideTitleAsync("m", "t", T0 + 10_000, None);
        await Store.HideAllAsync("m", T0 + 30_000, None);
        await Store.HideAllAsync("m", T0 + 5_000, None);

        await ApplyAsync(Event("m", "t", "s", 0, 15, 1_000), Event("m", "u", "s", 0, 25, 1_000));
        Assert.Empty(await ReadAllAsync("m"));

        await ApplyAsync(Event("m", "u", "s2", 0, 31, 1_000));
        Assert.Equal(["u"], (await ReadAllAsync("m")).Select(i => i.TitleId));
    }

    [Fact]
    public async Task A_hide_that_leaves_fewer_sessions_updates_the_item_to_the_remaining_ones()
    {
        await ApplyAsync(Event("m", "t", "old", 0, 10, 10_000), Event("m", "t", "new", 0, 30, 30_000, durationMs: 60_000));
        await Store.HideAllAsync("m", T0 + 20_000, None);

        Assert.Equal(new HistoryItem("t", T0 + 30_000, 30_000, 60_000, 1), await Store.ReadItemAsync("m", "t", None));
    }

    [Fact]
    public async Task Hides_appear_in_the_feed_as_null_items_and_repeating_them_adds_nothing()
    {
        await ApplyAsync(Event("m", "a", "s", 0, 10, 1_000), Event("m", "b", "s", 0, 10, 1_000));
        var before = await Store.ReadChangesAsync(0, 100, None);
        Assert.Equal(2, before.Changes.Count);

        await Store.HideTitleAsync("m", "a", T0 + 20_000, None);
        await Store.HideAllAsync("m", T0 + 20_000, None);
        await Store.HideTitleAsync("m", "a", T0 + 20_000, None);
        await Store.HideAllAsync("m", T0 + 20_000, None);

        var hides = await Store.ReadChangesAsync(before.Next, 100, None);
        Assert.Equal([("a", true), ("b", true)], hides.Changes.Select(c => (c.TitleId, c.Item is null)).Order());
        Assert.Empty((await Store.ReadChangesAsync(hides.Next, 100, None)).Changes);
    }
}
