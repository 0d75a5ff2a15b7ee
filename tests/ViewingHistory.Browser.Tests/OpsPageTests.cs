using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using ViewingHistory.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ViewingHistory.Browser.Tests;

/// <summary>The live ops dashboard in a real browser, reading the real server's metrics while events flow.</summary>
[Collection(BrowserCollection.Name)]
public sealed class OpsPageTests(Chromium chromium, Service service, ITestOutputHelper output) : IClassFixture<Service>
{
    private static double Number(string? text) =>
        double.TryParse((text ?? string.Empty).Replace(",", string.Empty, StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;

    /// <summary>Posts a batch of heartbeats every few hundred milliseconds until cancelled, like a small fleet.</summary>
    private async Task<int> FeedAsync(CancellationToken stop)
    {
        var member = $"ops-{Guid.NewGuid():N}"[..16];
        var at = DateTimeOffset.UtcNow.AddHours(-1);
        var seq = 0;
        var posted = 0;
        while (!stop.IsCancellationRequested)
        {
            var batch = new List<JsonObject>();
            for (var i = 0; i < 20; i++, seq++)
            {
                batch.Add(Service.Event(member, $"title-{seq % 7}", $"session-{seq % 7}", seq, seq * 1000L, 3_600_000, at.AddSeconds(seq)));
            }

            await service.PostAsync(batch);
            posted += batch.Count;
            try
            {
                await Task.Delay(300, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return posted;
    }

    [Fact(Timeout = 180_000)]
    public async Task The_dashboard_shows_rates_lag_latency_mode_and_health_live()
    {
        var page = await chromium.NewPageAsync(1280, 1000);
        await page.GotoAsync(service.Url("/ops/"));
        await page.Locator("#key").FillAsync(Service.ServiceKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.Locator("#mode")).ToHaveTextAsync("async");
        await Expect(page.Locator("#async-percent")).ToHaveTextAsync("100%");
        await Expect(page.Locator("#queue-health")).ToHaveTextAsync("healthy");
        await Expect(page.Locator("#store-health")).ToHaveTextAsync("healthy");
        await Expect(page.Locator("#ready")).ToHaveTextAsync("ready");

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var feeding = FeedAsync(stop.Token);
        try
        {
            // Rates are deltas between two readings 2 s apart, the latency quantiles need observations in the last
            // window, and the chart should show a short series (six rates, 12 s): wait for all of them.
            await Eventually.UntilAsync(
                async () => (
                    Ingest: Number(await page.Locator("#ingest-rate").TextContentAsync()),
                    Processing: Number(await page.Locator("#processing-rate").TextContentAsync()),
                    Total: Number(await page.Locator("#ingest-total").TextContentAsync()),
                    P50: await page.Locator("#latency-p50").TextContentAsync(),
                    P99: await page.Locator("#latency-p99").TextContentAsync(),
                    Chart: await page.EvaluateAsync<string>("document.querySelector('#ingest-chart path.line')?.getAttribute('d') ?? ''")),
                r => r.Ingest > 0 && r.Processing > 0 && r.Total >= 100 && r.P50 is { Length: > 0 } p50 && p50 != "—" && r.P99 != "—" &&
                     r.Chart is { } d && d.Count(c => c == 'L') >= 5,
                TimeSpan.FromSeconds(60),
                "the dashboard to show ingest and processing rates, totals and latency");
            await Expect(page.Locator("#ingest-chart path.line")).ToHaveCountAsync(1);
            await Expect(page.Locator("#latency-chart path.line")).Not.ToHaveCountAsync(0);
            await Expect(page.Locator("#queue-lag")).Not.ToHaveTextAsync("—");
            await Expect(page.Locator("#dlq")).ToHaveTextAsync("0");
            await Expect(page.Locator("#rejected tr")).Not.ToHaveCountAsync(0);
            await Screenshots.SaveAsync(page, "ops-live", output);
        }
        finally
        {
            await stop.CancelAsync();
            await feeding;
        }

        await page.Context.CloseAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task A_wrong_service_key_is_refused_and_the_dashboard_asks_again()
    {
        var page = await chromium.NewPageAsync(375, 740);
        await page.GotoAsync(service.Url("/ops/"));
        await page.Locator("#key").FillAsync(Service.IngestKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("use a service key");
        await Expect(page.Locator("#key")).ToBeVisibleAsync();
        await Expect(page.Locator("#dashboard")).ToBeHiddenAsync();
        await Screenshots.SaveAsync(page, "ops-refused-phone", output);
        await page.Context.CloseAsync();
    }
}
