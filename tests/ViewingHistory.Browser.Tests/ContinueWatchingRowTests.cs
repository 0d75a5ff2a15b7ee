using System.Collections.Concurrent;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ViewingHistory.Browser.Tests;

/// <summary>The activity page's "Continue watching" row, in a real browser against the real server.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ContinueWatchingRowTests(Chromium chromium, Service service, ITestOutputHelper output) : IClassFixture<Service>
{
    private static async Task<List<string>> RowTitlesAsync(IPage page) =>
        [.. (await page.Locator("#resume-items > li").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.titleId)"))];

    /// <summary>Every read of continue-watching the page makes: the If-None-Match it sent and the status it got.</summary>
    private static ConcurrentQueue<(string? IfNoneMatch, int Status)> RecordRowReads(IPage page)
    {
        var reads = new ConcurrentQueue<(string?, int)>();
        page.Response += (_, response) =>
        {
            if (response.Url.Contains("/continue-watching", StringComparison.Ordinal))
            {
                reads.Enqueue((response.Request.Headers.TryGetValue("if-none-match", out var tag) ? tag : null, response.Status));
            }
        };
        return reads;
    }

    [Fact(Timeout = 180_000)]
    public async Task The_row_shows_the_titles_in_progress_above_the_history_and_refreshes_with_conditional_requests()
    {
        var member = $"resume-{Guid.NewGuid():N}"[..20];
        // Ten titles, newest first: every fifth finished (95 %), the others at 1/6 to 4/6 of their runtime.
        var newestFirst = await ActivityPageTests.WatchAsync(service, member, 10);
        var inProgress = newestFirst.Where((_, i) => i is not (0 or 5)).ToList();

        var page = await chromium.NewPageAsync();
        await page.Clock.InstallAsync();
        var reads = RecordRowReads(page);
        await page.GotoAsync(service.Url("/activity/"));
        await ActivityPageTests.SignInWithKeyboardAsync(page, Service.MemberToken(member));

        var row = page.Locator("#resume-items > li");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Continue watching" })).ToBeVisibleAsync();
        await Expect(row).ToHaveCountAsync(8);
        Assert.Equal(inProgress, await RowTitlesAsync(page));

        // The newest in progress is title 8 of a one-hour runtime at 4/6: 67 %, 20 minutes left.
        await Expect(row.First.GetByRole(AriaRole.Progressbar)).ToHaveAttributeAsync("aria-valuenow", "67");
        await Expect(row.First).ToContainTextAsync("67% · 20 min left");
        await Expect(row.Nth(1)).ToContainTextAsync("50% · 1 h 0 min left");

        // Above the history.
        var rowBox = await page.Locator("#resume").BoundingBoxAsync();
        var historyBox = await page.Locator("#history").BoundingBoxAsync();
        Assert.True(rowBox!.Y + rowBox.Height <= historyBox!.Y, "the row is not above the history");
        await Screenshots.SaveAsync(page, "activity-continue-watching", output);

        // Nothing changed: the next refresh names the tag it has and gets a 304; the row stays.
        var first = Assert.Single(reads);
        Assert.Null(first.IfNoneMatch);
        Assert.Equal(200, first.Status);
        await page.Clock.FastForwardAsync("00:31");
        await Eventually(() => reads.Count >= 2, "a second read of the row");
        var second = reads.ElementAt(1);
        Assert.NotNull(second.IfNoneMatch);
        Assert.Equal(304, second.Status);
        await Expect(row).ToHaveCountAsync(8);

        // A new title in progress: the next refresh gets a 200 with a new tag, and the row shows it first.
        await service.PostAsync([
            Service.Event(member, "glass-city-s02e01", "fresh", 0, 0, 3_600_000, DateTimeOffset.UtcNow.AddMinutes(-2)),
            Service.Event(member, "glass-city-s02e01", "fresh", 1, 900_000, 3_600_000, DateTimeOffset.UtcNow.AddMinutes(-1)),
        ]);
        await service.WaitForTitlesAsync(member, 11);
        await page.Clock.FastForwardAsync("00:31");
        await Expect(row).ToHaveCountAsync(9);
        Assert.Equal(["glass-city-s02e01", .. inProgress], await RowTitlesAsync(page));
        await Expect(row.First).ToContainTextAsync("25% · 45 min left");
        var third = reads.ElementAt(2);
        Assert.Equal(second.IfNoneMatch, third.IfNoneMatch);
        Assert.Equal(200, third.Status);

        // Hiding a title in progress takes it out of the row too.
        var victim = inProgress[0];
        await page.Locator($"#items > li[data-title-id='{victim}'] button.hide").ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Hide title" }).ClickAsync();
        await Expect(page.Locator($"#resume-items > li[data-title-id='{victim}']")).ToHaveCountAsync(0);
        await Expect(row).ToHaveCountAsync(8);
        await page.Context.CloseAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task The_row_fits_a_375_pixel_phone_screen_and_scrolls_sideways_inside_itself()
    {
        var member = $"rphone-{Guid.NewGuid():N}"[..20];
        await ActivityPageTests.WatchAsync(service, member, 14);
        var page = await chromium.NewPageAsync(375, 740);
        await page.GotoAsync(service.Url("/activity/"));
        await ActivityPageTests.SignInWithKeyboardAsync(page, Service.MemberToken(member));
        var row = page.Locator("#resume-items > li");
        await Expect(row).ToHaveCountAsync(12);
        await Expect(page.Locator("#items > li")).ToHaveCountAsync(14);

        var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        Assert.True(scrollWidth <= 375, $"the page is {scrollWidth} px wide on a 375 px screen");
        var list = await page.Locator("#resume-items").BoundingBoxAsync();
        Assert.True(list!.X >= 0 && list.X + list.Width <= 375, "the row sticks out of the screen");
        var card = await row.First.BoundingBoxAsync();
        Assert.True(card!.X >= 0 && card.X + card.Width <= 375, "the first card is not on screen");
        Assert.True(await page.Locator("#resume-items").EvaluateAsync<bool>("l => l.scrollWidth > l.clientWidth"), "twelve cards should scroll sideways");

        // Keyboard users can scroll the row: it takes focus, and the arrow keys move it sideways.
        await page.Locator("#resume-items").FocusAsync();
        await Expect(page.Locator("#resume-items")).ToBeFocusedAsync();
        await Expect(row.Last).Not.ToBeInViewportAsync();
        for (var i = 0; i < 3; i++)
        {
            await page.Keyboard.PressAsync("ArrowRight");
        }

        await ViewingHistory.Testing.Eventually.UntilAsync(
            () => page.Locator("#resume-items").EvaluateAsync<double>("l => l.scrollLeft"), left => left > 0, TimeSpan.FromSeconds(10), "the row to scroll");
        await row.Last.ScrollIntoViewIfNeededAsync();
        await Expect(row.Last).ToBeInViewportAsync();
        await Expect(row.Last).ToContainTextAsync("left");
        await Screenshots.SaveAsync(page, "activity-continue-watching-375", output);
        await page.Context.CloseAsync();
    }

    private static Task Eventually(Func<bool> condition, string what) =>
        ViewingHistory.Testing.Eventually.UntilAsync(() => Task.FromResult(condition()), TimeSpan.FromSeconds(20), what);
}
