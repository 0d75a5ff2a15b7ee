using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ViewingHistory.Browser.Tests;

/// <summary>The member's "Viewing activity" page in a real browser against the real server.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ActivityPageTests(Chromium chromium, Service service, ITestOutputHelper output) : IClassFixture<Service>
{
    private const long Hour = 3_600_000;

    /// <summary>Titles watched one minute apart (the last is the newest); every fifth one finished.</summary>
    internal static async Task<List<string>> WatchAsync(Service service, string member, int titles)
    {
        var start = DateTimeOffset.UtcNow.AddDays(-2);
        var names = new[] { "midnight-harbor", "the-long-voyage", "glass-city", "northern-lights", "paper-moons" };
        var events = new List<JsonObject>();
        var ids = new List<string>();
        for (var i = 0; i < titles; i++)
        {
            var title = $"{names[i % names.Length]}-s01e{i + 1:00}";
            var duration = (i % 2 == 0 ? 1 : 2) * Hour;
            var position = i % 5 == 4 ? duration * 95 / 100 : duration * ((i % 5) + 1) / 6;
            events.Add(Service.Event(member, title, $"s{i}", 0, 0, duration, start.AddMinutes(i)));
            events.Add(Service.Event(member, title, $"s{i}", 1, position, duration, start.AddMinutes(i).AddSeconds(40)));
            ids.Add(title);
        }

        await service.PostAsync(events);
        await service.WaitForTitlesAsync(member, titles);
        ids.Reverse();
        return ids;
    }

    internal static async Task SignInWithKeyboardAsync(IPage page, string token)
    {
        await page.Locator("#token").FillAsync(token);
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
    }

    private static async Task<List<string>> ShownTitlesAsync(IPage page) =>
        [.. (await page.Locator("#items > li").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.titleId)"))];

    [Fact(Timeout = 180_000)]
    public async Task Member_downloads_the_viewing_activity_as_csv_and_as_json()
    {
        var member = $"member-{Guid.NewGuid():N}"[..20];
        var newestFirst = await WatchAsync(service, member, 3);
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(service.Url("/activity/"));
        await SignInWithKeyboardAsync(page, Service.MemberToken(member));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Download your viewing activity" })).ToBeVisibleAsync();

        var csv = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download CSV" }).ClickAsync());
        Assert.Equal($"viewing-activity-{member}.csv", csv.SuggestedFilename);
        var lines = (await File.ReadAllTextAsync(await csv.PathAsync())).Split("\r\n");
        Assert.Equal("titleId,lastWatchedAt,positionMs,durationMs,progress,completed,sessions", lines[0]);
        Assert.Equal(newestFirst, lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')[0]));

        var json = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download JSON" }).ClickAsync());
        var export = JsonNode.Parse(await File.ReadAllTextAsync(await json.PathAsync()))!.AsObject();
        Assert.Equal(member, (string)export["memberId"]!);
        Assert.Equal(3, export["items"]!.AsArray().Count);
        Assert.Equal(3, export["sessions"]!.AsArray().Count);
        await Expect(page.Locator("#status")).ToContainTextAsync("downloaded");
    }

    [Fact(Timeout = 180_000)]
    public async Task Member_signs_in_pages_through_the_history_and_hides_one_title_then_everything()
    {
        var member = $"member-{Guid.NewGuid():N}"[..20];
        var newestFirst = await WatchAsync(service, member, 25);
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(service.Url("/activity/"));
        await Expect(page).ToHaveTitleAsync("Viewing activity");

        await SignInWithKeyboardAsync(page, Service.MemberToken(member));
        await Expect(page.Locator("#member-id")).ToHaveTextAsync(member);
        await Expect(page.Locator("#items > li")).ToHaveCountAsync(20);
        Assert.Equal(newestFirst.Take(20), await ShownTitlesAsync(page));

        // The newest title (index 24) is a finished one: 95 % with a completed mark; the next is at 4/6 of an hour.
        var first = page.Locator("#items > li").First;
        await Expect(first.GetByRole(AriaRole.Progressbar)).ToHaveAttributeAsync("aria-valuenow", "95");
        await Expect(first).ToContainTextAsync("Completed");
        var second = page.Locator("#items > li").Nth(1);
        await Expect(second.GetByRole(AriaRole.Progressbar)).ToHaveAttributeAsync("aria-valuenow", "67");
        await Expect(second).Not.ToContainTextAsync("Completed");
        await Screenshots.SaveAsync(page, "activity-signed-in", output);

        await page.GetByRole(AriaRole.Button, new() { Name = "Load more" }).ClickAsync();
        await Expect(page.Locator("#items > li")).ToHaveCountAsync(25);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Load more" })).ToBeHiddenAsync();
        Assert.Equal(newestFirst, await ShownTitlesAsync(page));

        // Hide one title with the keyboard: cancelling keeps it, confirming removes it here and on the server.
        var victim = newestFirst[2];
        var hide = page.Locator($"#items > li[data-title-id='{victim}'] button.hide");
        await hide.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "activity-confirm-hide", output);
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(hide).ToBeFocusedAsync();
        await Expect(page.Locator("#items > li")).ToHaveCountAsync(25);

        await page.Keyboard.PressAsync("Enter");
        await Expect(dialog).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Hide title" }).ClickAsync();
        await Expect(page.Locator($"#items > li[data-title-id='{victim}']")).ToHaveCountAsync(0);
        await Expect(page.Locator("#items > li")).ToHaveCountAsync(24);
        await Expect(page.Locator("#status")).ToContainTextAsync("is hidden");
        Assert.DoesNotContain(victim, await service.TitlesAsync(member));
        Assert.Equal(24, (await service.TitlesAsync(member)).Count);

        await page.GetByRole(AriaRole.Button, new() { Name = "Hide everything…" }).ClickAsync();
        await Expect(dialog).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Hide everything" }).ClickAsync();
        await Expect(page.Locator("#items > li")).ToHaveCountAsync(0);
        await Expect(page.Locator("#empty")).ToBeVisibleAsync();
        Assert.Empty(await service.TitlesAsync(member));
        await Screenshots.SaveAsync(page, "activity-all-hidden", output);
        await page.Context.CloseAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task The_page_fits_a_375_pixel_phone_screen()
    {
        var member = $"phone-{Guid.NewGuid():N}"[..18];
        await WatchAsync(service, member, 6);
        var page = await chromium.NewPageAsync(375, 740);
        await page.GotoAsync(service.Url("/activity/"));
        await Screenshots.SaveAsync(page, "activity-phone-sign-in", output);
        await SignInWithKeyboardAsync(page, Service.MemberToken(member));
        await Expect(page.Locator("#items > li")).ToHaveCountAsync(6);

        var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        Assert.True(scrollWidth <= 375, $"the page is {scrollWidth} px wide on a 375 px screen");
        var box = await page.Locator("#items > li").First.GetByRole(AriaRole.Button, new() { Name = "Hide" }).BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.True(box.X + box.Width <= 375, "the Hide button is off screen");
        await Screenshots.SaveAsync(page, "activity-phone-375", output);
        await page.Context.CloseAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task A_refused_token_sends_the_member_back_to_sign_in_with_a_polite_message()
    {
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(service.Url("/activity/"));
        await SignInWithKeyboardAsync(page, Service.MemberToken("someone", secret: "a-different-secret-0123456789-0123456789"));
        await Expect(page.Locator("#status")).ToContainTextAsync("sign in again");
        await Expect(page.Locator("#token")).ToBeVisibleAsync();
        await Expect(page.Locator("#history")).ToBeHiddenAsync();

        await page.Locator("#token").FillAsync("not-a-token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("not a member token");
        await Screenshots.SaveAsync(page, "activity-refused", output);
        await page.Context.CloseAsync();
    }
}
