using System.Text.RegularExpressions;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Deployment;

/// <summary>
/// deploy/grafana and deploy/prometheus: every PromQL expression of the dashboards and the alert rules parses and type
/// checks (Prometheus's own grammar and linter, deploy/tools/check.mjs), and every metric it names is one a running
/// server exports: a server in this process that has ingested and processed events (so its histograms have buckets)
/// and answered a readiness check, scraped on /metrics; so is every label it uses.
/// </summary>
public sealed partial class MonitoringQueryTests
{
    /// <summary>What Prometheus adds to every series it scrapes (the target's labels).</summary>
    private static readonly HashSet<string> ScrapeLabels = new(StringComparer.Ordinal) { "instance", "job" };

    [Fact]
    public async Task Every_metric_and_label_the_dashboards_and_alerts_name_is_exported_by_a_running_server()
    {
        var files = Directory.GetFiles(Path.Combine(DeployTools.Deploy, "grafana"), "*.json")
            .Concat(Directory.GetFiles(Path.Combine(DeployTools.Deploy, "prometheus"), "*.yaml"))
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Contains(files, f => f.EndsWith(".json", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(".yaml", StringComparison.Ordinal));
        var (run, found) = await DeployTools.CheckAsync("promql", files);
        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);

        var exported = await ScrapeAfterTrafficAsync();

        var expressions = found!.Select(e => (
            Where: $"{Path.GetFileName((string)e!["file"]!)} {e["where"]}",
            Metrics: e["metrics"]!.AsArray().Select(m => (string)m!).ToList(),
            Labels: e["labels"]!.AsArray().Select(l => (string)l!).ToList())).ToList();
        Assert.True(expressions.Sum(e => e.Metrics.Count) > 10, "the check found too few metric names to be credible");
        var missing = expressions
            .SelectMany(e => e.Metrics.Where(m => !exported.ContainsKey(m)).Select(m => $"{m} ({e.Where})"))
            .ToList();
        Assert.True(missing.Count == 0, "Not exported by the server: " + string.Join("; ", missing));

        // Every label an expression matches, groups or joins on, or shows in a legend or an annotation, is on one of
        // its metrics, or is one Prometheus adds to every scraped series.
        var unlabelled = expressions
            .SelectMany(e => e.Labels
                .Where(l => !ScrapeLabels.Contains(l) && !e.Metrics.Any(m => exported[m].Contains(l)))
                .Select(l => $"{l} ({e.Where})"))
            .ToList();
        Assert.True(unlabelled.Count == 0, "Labels on none of the expression's metrics: " + string.Join("; ", unlabelled));
    }

    [Fact]
    public async Task The_readiness_gauge_reports_each_role_the_process_plays()
    {
        using var dir = new TempDirectory("vh-ready-gauge");
        await using var server = InProcessHost.Start(dir.Path, new Dictionary<string, string?>());
        var roles = new[] { "ingest", "processor", "api" };
        bool AllOne(string metrics) => roles.All(role => new Regex($@"^vh_role_ready\{{[^}}]*role=""{role}""[^}}]*\}} 1( |$)", RegexOptions.Multiline).IsMatch(metrics));

        // Before the first check every role shows 0 (the process counts as starting); the gauge shows the last finished
        // check, so once the process is ready a scrape shows 1 for each role (at once, unless a check that ends on a
        // busy machine's timeout comes in between: hence the wait).
        var first = await server.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.All(roles, role => Assert.Matches(new Regex($@"^vh_role_ready\{{[^}}]*role=""{role}""[^}}]*\}} [01]( |$)", RegexOptions.Multiline), first));
        await server.WaitReadyAsync();
        await Eventually.UntilAsync(
            () => server.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative)),
            AllOne,
            TimeSpan.FromSeconds(30),
            "vh_role_ready 1 for every role");
    }

    /// <summary>The samples a server exports after one batch went from its POST to the reads: name → its label names.</summary>
    private static async Task<Dictionary<string, HashSet<string>>> ScrapeAfterTrafficAsync()
    {
        using var dir = new TempDirectory("vh-monitoring");
        await using var server = InProcessHost.Start(dir.Path, new Dictionary<string, string?>());
        var member = Ev.NewId("mon");
        await server.Contract.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "t1"), Ev.Make(member, "t2")));
        await server.Contract.WaitForTitleAsync(member, "t2");
        await server.WaitReadyAsync();

        // The end-to-end histogram is recorded once the processor has committed; the reads may see the commit first.
        var text = await Eventually.UntilAsync(
            () => server.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative)),
            t => t.Contains("vh_end_to_end_latency_seconds_bucket", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            "the end-to-end histogram on /metrics");
        var samples = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (Match sample in Sample().Matches(text))
        {
            if (!samples.TryGetValue(sample.Groups["name"].Value, out var labels))
            {
                samples[sample.Groups["name"].Value] = labels = new HashSet<string>(StringComparer.Ordinal);
            }

            labels.UnionWith(LabelName().Matches(sample.Groups["labels"].Value).Select(l => l.Groups[1].Value));
        }

        return samples;
    }

    /// <summary>One sample line of the text format: its name and, if it has any, its labels.</summary>
    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})? ", RegexOptions.Multiline)]
    private static partial Regex Sample();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""")]
    private static partial Regex LabelName();
}
