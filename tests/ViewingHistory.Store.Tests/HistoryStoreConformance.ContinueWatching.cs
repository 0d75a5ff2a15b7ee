using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using static ViewingHistory.Store.Tests.Events;

namespace ViewingHistory.Store.Tests;

/// <summary>Continue-watching (CONTRACT.md, "Continue watching and conditional reads") on every engine.</summary>
public abstract partial class HistoryStoreConformance
{
    [Fact]
    public async Task Continue_watching_holds_exactly_the_items_whose_rounded_progress_is_from_001_to_below_09()
    {
        // Positions of a 100,000 ms title around both edges of the rounding (4 decimals, half away from zero).
        (string Title, long Position, bool InProgress)[] cases =
        [
            ("zero", 0, false),
            ("p0099", 994, false),       // 0.00994 -> 0.0099
            ("p0100", 995, true),        // 0.00995 -> 0.0100
            ("half", 50_000, true),
            ("p8999", 89_994, true),     // 0.89994 -> 0.8999
            ("p9000", 89_995, false),    // 0.89995 -> 0.9000: completed
            ("end", 100_000, false),
            ("past", 160_000, false),    // past the runtime: progress 1
        ];
        var events = cases.Select((c, i) => Event("cw", c.Title, "s", 0, i, c.Position)).ToList();
        await ApplyAsync(events);

        var expected = HistoryReducer.Compute(events, [])["cw"].Where(i => Progress.IsInProgress(i.PositionMs, i.DurationMs)).ToList();
        Assert.Equal(cases.Where(c => c.InProgress).Select(c => c.Title).Reverse(), expected.Select(i => i.TitleId));
        Assert.Equal(expected, await ReadAllInProgressAsync("cw"));
        Assert.All(expected, i => Assert.False(i.Completed));
    }

    [Fact]
    public async Task Continue_watching_pages_like_the_history_visiting_every_in_progress_item_once()
    {
        // Ties on lastWatchedAt and ids whose ordinal order differs from a language's; two of three are in progress.
        string[] titles = ["a", "B", "_x", "-y", "Z9", "a.b", ":c", "b", "A", "0"];
        var events = Enumerable.Range(0, 60)
            .Select(i => Event("cwpager", titles[i % titles.Length] + (i / titles.Length), "s", 0, i % 5, i % 3 == 0 ? 95_000 : 10_000 + i))
            .ToList();
        await ApplyAsync(events);

        var expected = HistoryReducer.Compute(events, [])["cwpager"].Where(i => !i.Completed).ToList();
        Assert.Equal(40, expected.Count);
        foreach (var size in new[] { 1, 3, 7, 40, 100 })
        {
            Assert.Equal(expected, await ReadAllInProgressAsync("cwpager", size));
        }

        var first = await Store.ReadContinueWatchingAsync("cwpager", 20, null, None);
        Assert.Equal(expected.Take(20), first.Items);
        Assert.Equal(HistoryCursor.After(expected[19]), first.Next);
    }

    [Fact]
    public async Task An_item_leaves_continue_watching_when_finished_or_hidden_and_comes_back_with_a_new_session()
    {
        await ApplyAsync(Event("cwm", "film", "s1", 0, 0, 40_000), Event("cwm", "show", "s1", 0, 1, 30_000));
        Assert.Equal(["show", "film"], (await ReadAllInProgressAsync("cwm")).Select(i => i.TitleId));

        await ApplyAsync(Event("cwm", "film", "s1", 1, 2, 99_000));
        Assert.Equal(["show"], (await ReadAllInProgressAsync("cwm")).Select(i => i.TitleId));

        await HideAsync(new HideMark("cwm", "show", T0 + 5_000));
        Assert.Empty(await ReadAllInProgressAsync("cwm"));
        Assert.Empty((await Store.ReadContinueWatchingAsync("cwm", 20, null, None)).Items);

        // A later session is the latest session: the film is in progress again, from its new position.
        await ApplyAsync(Event("cwm", "film", "s2", 0, 10, 20_000));
        Assert.Equal([new HistoryItem("film", T0 + 10_000, 20_000, 100_000, 2)], await ReadAllInProgressAsync("cwm"));

        await HideAsync(new HideMark("cwm", null, T0 + 20_000));
        Assert.Empty(await ReadAllInProgressAsync("cwm"));
    }

    [Fact]
    public async Task A_member_with_no_history_has_nothing_to_continue()
    {
        await ApplyAsync(Event("someone", "t", "s", 0, 0, 50_000));

        var page = await Store.ReadContinueWatchingAsync("nobody-here", 20, null, None);
        Assert.Empty(page.Items);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task Fifty_in_progress_among_ten_thousand_items_page_out_in_order()
    {
        var events = new List<PlaybackEvent>();
        for (var i = 0; i < 10_000; i++)
        {
            events.Add(Event("many", $"t{i:x}", "s", 0, i / 7, i % 200 == 0 ? 40_000 : 100_000));
        }

        foreach (var chunk in events.Chunk(1_000))
        {
            await ApplyAsync(chunk);
        }

        var expected = HistoryReducer.Compute(events, [])["many"].Where(i => !i.Completed).ToList();
        Assert.Equal(50, expected.Count);
        Assert.Equal(expected, await ReadAllInProgressAsync("many", 20));
    }
}
