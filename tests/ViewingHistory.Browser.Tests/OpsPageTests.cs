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
        await Expect(page.Locator("#role-ingest strong")).ToHaveTextAsync("ok");
        await Expect(page.Locator("#role-processor strong")).ToHaveTextAsync("ok");
        await Expect(page.Locator("#role-api strong")).ToHaveTextAsync("ok");

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
    public async Task Latency_quantiles_interpolate_inside_bucket_deltas_as_histogram_quantile_does()
    {
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(service.Url("/ops/"));
        var result = await page.EvaluateAsync<double[]>(
            """
            async () => {
              const m = await import('/ops/prometheus.js');
              const before = m.buckets(m.parse('h_bucket{le="0.1"} 5\nh_bucket{le="0.25"} 5\nh_bucket{le="0.5"} 5\nh_bucket{le="+Inf"} 5\n'), 'h');
              const after = m.buckets(m.parse('# TYPE h histogram\nh_bucket{a="x",le="0.1"} 5\nh_bucket{a="x",le="0.25"} 15\nh_bucket{a="x",le="0.5"} 25\nh_bucket{a="x",le="+Inf"} 25\n'), 'h');
              const window = m.bucketDelta(before, after);
              const restarted = m.bucketDelta(after, before);
              return [m.quantile(0.5, window), m.quantile(0.99, window), m.quantile(0.5, restarted), m.quantile(0.5, m.bucketDelta(after, after)) ?? -1, m.rate(10, 4, 2)];
            }
            """);

        // 20 observations in the window: 10 in (0.1, 0.25], 10 in (0.25, 0.5]. p50 is rank 10, the top of the first
        // bucket; p99 is rank 19.8, 98 % into the second. A restart (counts going down) counts from zero.
        Assert.Equal(0.25, result[0], 6);
        Assert.Equal(0.495, result[1], 6);
        Assert.Equal(0.05, result[2], 6);
        Assert.Equal(-1, result[3]);
        Assert.Equal(2, result[4], 6);
        await page.Context.CloseAsync();
    }

    /// <summary>
    /// The page shows what <c>/health/ready</c> says, 503 bodies included. The answers are replaced in the browser
    /// (the server's own states need a store outage, which the end-to-end readiness tests cover on the real engines).
    /// </summary>
    [Fact(Timeout = 120_000)]
    public async Task The_dashboard_shows_each_roles_state_and_the_overall_status_when_degraded_or_unready()
    {
        var page = await chromium.NewPageAsync(1280, 1000);
        var answer = (Code: 200, Body: """{"status":"degraded","roles":{"ingest":"ok","processor":"failing","api":"failing"}}""");
        await page.RouteAsync("**/health/ready", route => route.FulfillAsync(new() { Status = answer.Code, ContentType = "application/json", Body = answer.Body }));
        await page.GotoAsync(service.Url("/ops/"));
        await page.Locator("#key").FillAsync(Service.ServiceKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.Locator("#ready")).ToHaveTextAsync("degraded");
        await Expect(page.Locator("#ready-pill")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bdegraded\b"));
        await Expect(page.Locator("#role-ingest strong")).ToHaveTextAsync("ok");
        await Expect(page.Locator("#role-ingest")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bok\b"));
        await Expect(page.Locator("#role-processor strong")).ToHaveTextAsync("failing");
        await Expect(page.Locator("#role-api")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bfailing\b"));
        await Screenshots.SaveAsync(page, "ops-degraded", output);

        answer = (503, """{"status":"unready","roles":{"ingest":"failing","processor":"failing","api":"failing"}}""");
        await Expect(page.Locator("#ready")).ToHaveTextAsync("unready");
        await Expect(page.Locator("#ready-pill")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bfailing\b"));
        await Expect(page.Locator("#role-ingest strong")).ToHaveTextAsync("failing");
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
