using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ViewingHistory.Browser.Tests;

/// <summary>The ops dashboard shows a refused configuration reload until a valid one replaces it (CONTRACT.md "Modes").</summary>
[Collection(BrowserCollection.Name)]
public sealed class OpsConfigurationTests(Chromium chromium, ConfiguredService service, ITestOutputHelper output) : IClassFixture<ConfiguredService>
{
    [Fact(Timeout = 120_000)]
    public async Task A_refused_reload_is_shown_with_its_settings_and_reasons_until_a_valid_reload()
    {
        var page = await chromium.NewPageAsync(1280, 900);
        await page.GotoAsync(service.Url("/ops/"));
        await page.Locator("#key").FillAsync(Service.ServiceKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#mode")).ToHaveTextAsync("async");
        await Expect(page.Locator("#config-refused")).ToBeHiddenAsync();

        service.WriteConfig("""{"Pipeline":{"Mode":"asynch","AsyncPercent":150}}""");
        var alert = page.GetByRole(AriaRole.Alert);
        await Expect(alert).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(alert).ToContainTextAsync("Configuration reload refused");
        await Expect(alert).ToContainTextAsync(service.ConfigFile);
        await Expect(page.Locator("#config-errors li")).ToHaveCountAsync(2);
        await Expect(page.Locator("#config-errors")).ToContainTextAsync("Pipeline:Mode: 'asynch' is not one of async, sync, shadow");
        await Expect(page.Locator("#config-errors")).ToContainTextAsync("Pipeline:AsyncPercent");
        await Expect(page.Locator("#mode")).ToHaveTextAsync("async");
        await Screenshots.SaveAsync(page, "ops-config-refused", output);

        service.WriteConfig("""{"Pipeline":{"Mode":"sync","AsyncPercent":100}}""");
        await Expect(page.Locator("#mode")).ToHaveTextAsync("sync", new() { Timeout = 30_000 });
        await Expect(page.Locator("#config-refused")).ToBeHiddenAsync();
        await page.Context.CloseAsync();
    }
}
