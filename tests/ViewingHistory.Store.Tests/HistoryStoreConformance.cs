using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using static ViewingHistory.Store.Tests.Events;

namespace ViewingHistory.Store.Tests;

/// <summary>
/// What every <see cref="IHistoryStore"/> must do (CONTRACT.md, "how events become history", reads, feed). Each
/// engine runs the whole suite through a subclass that says how to open a store on a fresh location.
/// </summary>
public abstract partial class HistoryStoreConformance : IAsyncLifetime
{
    protected static readonly CancellationToken None = CancellationToken.None;

    protected ManualClock Clock { get; } = new();

    protected IHistoryStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await CreateLocationAsync();
        Store = await OpenAsync();
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await DeleteLocationAsync();
    }

    /// <summary>Makes a fresh, empty place for this test's store (a file, a database).</summary>
    protected abstract Task CreateLocationAsync();

    /// <summary>A new store instance on this test's location (as after a restart of the process).</summary>
    protected abstract IHistoryStore NewStore(TimeProvider clock);

    protected virtual Task DeleteLocationAsync() => Task.CompletedTask;

    /// <summary>A store beside this test's (another file, another schema), never initialized.</summary>
    protected abstract IHistoryStore NewStoreElsewhere();

    protected async Task<IHistoryStore> OpenAsync()
    {
        var store = NewStore(Clock);
        await store.InitializeAsync(None);
        return store;
    }

    protected Task<ApplyResult> ApplyAsync(params IEnumerable<PlaybackEvent> events) => Store.ApplyAsync(Reduce(events), None);

    protected Task HideAsync(HideMark mark) =>
        mark.TitleId is null ? Store.HideAllAsync(mark.MemberId, mark.AtMs, None) : Store.HideTitleAsync(mark.MemberId, mark.TitleId, mark.AtMs, None);

    /// <summary>Every item of the member, following cursors through their wire form as a client would.</summary>
    protected Task<List<HistoryItem>> ReadAllAsync(string memberId, int pageSize = 7) =>
        ReadAllAsync(Store.ReadPageAsync, memberId, pageSize);

    /// <summary>Every item of the member's continue-watching, following cursors as a client would.</summary>
    protected Task<List<HistoryItem>> ReadAllInProgressAsync(string memberId, int pageSize = 7) =>
        ReadAllAsync(Store.ReadContinueWatchingAsync, memberId, pageSize);

    private static async Task<List<HistoryItem>> ReadAllAsync(
        Func<string, int, HistoryCursor?, CancellationToken, Task<HistoryPage>> read, string memberId, int pageSize)
    {
        var items = new List<HistoryItem>();
        HistoryCursor? cursor = null;
        for (var pages = 0; ; pages++)
        {
            Assert.True(pages < 100_000, "paging did not end");
            var page = await read(memberId, pageSize, cursor, None);
            Assert.True(page.Items.Count <= pageSize);
            items.AddRange(page.Items);
            if (page.Next is null)
            {
                return items;
            }

            Assert.Equal(pageSize, page.Items.Count);
            Assert.True(HistoryCursor.TryDecode(page.Next.Value.Encode(), out var decoded));
            cursor = decoded;
        }
    }

    /// <summary>The store holds exactly the reference history of these events and hides, for these members.</summary>
    protected async Task AssertHistoryAsync(IEnumerable<PlaybackEvent> events, IEnumerable<HideMark> hides, IEnumerable<string> members)
    {
        var expected = HistoryReducer.Compute(events, hides);
        foreach (var member in members.Distinct(StringComparer.Ordinal))
        {
            var want = expected.TryGetValue(member, out var items) ? items : [];
            Assert.Equal(want, await ReadAllAsync(member));
            Assert.Equal(want.Where(i => Progress.IsInProgress(i.PositionMs, i.DurationMs)), await ReadAllInProgressAsync(member));
            foreach (var item in want)
            {
                Assert.Equal(item, await Store.ReadItemAsync(member, item.TitleId, None));
            }
        }
    }

    /// <summary>Folding the whole feed by (member, title), last change wins, gives exactly what reads give.</summary>
    protected async Task AssertFeedFoldEqualsReadsAsync(IEnumerable<string> members)
    {
        var fold = new Dictionary<ItemKey, HistoryItem?>();
        var after = 0L;
        var previous = 0L;
        while (true)
        {
            var page = await Store.ReadChangesAsync(after, 50, None);
            foreach (var change in page.Changes)
            {
                Assert.True(change.Position > previous, "feed positions must grow");
                previous = change.Position;
                fold[new ItemKey(change.MemberId, change.TitleId)] = change.Item;
            }

            if (page.Changes.Count == 0)
            {
                Assert.Equal(after, page.Next);
                break;
            }

            after = page.Next;
        }

        foreach (var member in members.Distinct(StringComparer.Ordinal))
        {
            var fromFeed = fold.Where(kv => kv.Key.MemberId == member && kv.Value is not null).Select(kv => kv.Value!).Order(HistoryOrder.Instance).ToList();
            Assert.Equal(await ReadAllAsync(member), fromFeed);
        }
    }

    [Fact]
    public async Task An_applied_session_reads_back_as_an_item_and_a_page()
    {
        var result = await ApplyAsync(Event("m", "t", "s", 0, 0, 0), Event("m", "t", "s", 1, 30, 45_000));

        Assert.Equal(new ApplyResult(1, 1), result);
        var expected = new HistoryItem("t", T0 + 30_000, 45_000, 100_000, 1);
        Assert.Equal(expected, await Store.ReadItemAsync("m", "t", None));
        var page = await Store.ReadPageAsync("m", 20, null, None);
        Assert.Equal([expected], page.Items);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task A_member_with_no_history_reads_an_empty_page_and_no_item()
    {
        await ApplyAsync(Event("someone-else", "t", "s", 0, 0, 0));

        var page = await Store.ReadPageAsync("nobody", 20, null, None);
        Assert.Empty(page.Items);
        Assert.Null(page.Next);
        Assert.Null(await Store.ReadItemAsync("nobody", "t", None));
        Assert.Null(await Store.ReadItemAsync("someone-else", "other", None));
    }

    [Fact]
    public async Task The_latest_session_gives_the_position_and_every_counting_session_is_counted()
    {
        await ApplyAsync(Event("m", "t", "a", 9, 10, 90_000), Event("m", "t", "b", 0, 20, 5_000));
        await ApplyAsync(Event("m", "t", "c", 3, 20, 7_000));

        // b and c share lastAt: the greater sessionId (ordinal) is the latest.
        Assert.Equal(new HistoryItem("t", T0 + 20_000, 7_000, 100_000, 3), await Store.ReadItemAsync("m", "t", None));
    }

    [Fact]
    public async Task Initializing_an_initialized_store_again_changes_nothing()
    {
        await ApplyAsync(Event("m", "t", "s", 0, 0, 1_000));
        await Store.InitializeAsync(None);
        await using (var second = await OpenAsync())
        {
            Assert.Equal(new HistoryItem("t", T0, 1_000, 100_000, 1), await second.ReadItemAsync("m", "t", None));
        }

        await Store.PingAsync(None);
    }

    [Fact]
    public async Task Paging_with_cursors_visits_every_item_once_in_page_order()
    {
        // Equal lastWatchedAt values and ids whose ordinal order differs from a language's order ("B" < "a").
        string[] titles = ["a", "B", "_x", "-y", "Z9", "a.b", ":c", "b", "A", "0", "z", "aa", "a-", "a_"];
        var events = new List<PlaybackEvent>();
        for (var i = 0; i < 40; i++)
        {
            events.Add(Event("pager", titles[i % titles.Length] + (i / titles.Length), "s", 0, i % 4, i * 1_000));
        }

        await ApplyAsync(events);

        var expected = HistoryReducer.Compute(events, [])["pager"];
        Assert.Equal(40, expected.Count);
        foreach (var size in new[] { 1, 3, 7, 40, 100 })
        {
            Assert.Equal(expected, await ReadAllAsync("pager", size));
        }
    }

    [Fact]
    public async Task A_member_with_ten_thousand_items_pages_through_all_of_them()
    {
        const int count = 10_000;
        for (var batch = 0; batch < count / 1_000; batch++)
        {
            var events = Enumerable.Range(batch * 1_000, 1_000).Select(i => Event("big", $"t{i:x}", "s", 0, i / 3, i % 1000));
            await ApplyAsync(events);
        }

        var items = await ReadAllAsync("big", 100);
        Assert.Equal(count, items.Count);
        Assert.Equal(count, items.Select(i => i.TitleId).Distinct(StringComparer.Ordinal).Count());
        for (var i = 1; i < items.Count; i++)
        {
            Assert.True(HistoryOrder.Instance.Compare(items[i - 1], items[i]) < 0, $"items {i - 1} and {i} are out of order");
        }

        var newest = await Store.ReadPageAsync("big", 1, null, None);
        Assert.Equal(items[0], Assert.Single(newest.Items));
    }
}
