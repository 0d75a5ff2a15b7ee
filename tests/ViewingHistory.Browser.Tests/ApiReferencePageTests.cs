using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ViewingHistory.Browser.Tests;

/// <summary>
/// The API reference page (<c>/api/</c>) renders the service's own OpenAPI document in a real browser under the pages'
/// Content-Security-Policy: a CSP violation (an inline script or style, anything from elsewhere) shows as a console
/// error, and fails the test.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ApiReferencePageTests(Chromium chromium, Service service, ITestOutputHelper output) : IClassFixture<Service>
{
    [Fact]
    public async Task The_reference_lists_every_operation_with_its_answers_and_credentials_under_the_CSP()
    {
        var page = await chromium.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add($"{message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => errors.Add(error);

        var response = await page.GotoAsync(service.Url("/api/"));

        Assert.NotNull(response);
        Assert.StartsWith("default-src 'self'", await response.HeaderValueAsync("content-security-policy"), StringComparison.Ordinal);
        // The page says "failed" with the reason in its status line when the document could not be read.
        await Expect(page.Locator("body[data-rendered]")).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        Assert.True(await page.Locator("body[data-rendered=true]").CountAsync() == 1, await page.Locator("#status").TextContentAsync());
        var ingest = page.Locator("#IngestPlaybackEvents");
        await Expect(ingest.Locator("code.path")).ToHaveTextAsync("/v1/playback/events");
        await Expect(ingest).ToContainTextAsync("Credential: ingestKey");
        foreach (var status in new[] { "202", "400", "401", "403", "413", "415", "429", "503" })
        {
            await Expect(ingest.Locator($"tr[data-status='{status}']")).ToHaveCountAsync(1);
        }

        await Expect(page.Locator("#ReadHistory")).ToContainTextAsync("Credential: serviceKey or memberToken");
        await Expect(page.Locator("#schemes")).ToContainTextAsync("memberToken");
        await Expect(page.Locator("#schema-ApiProblem")).ToContainTextAsync("errors");
        Assert.True(await page.Locator("#toc li").CountAsync() >= 18);
        await Screenshots.SaveAsync(page, "api-reference", output);
        Assert.True(errors.Count == 0, "console errors: " + string.Join(Environment.NewLine, errors));
    }
}
