using System.Net;
using Microsoft.Extensions.DependencyInjection;
using ViewingHistory.Queue;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Hostile;

/// <summary>Error answers say what failed, never where the engines live: no paths, hosts or credentials.</summary>
public sealed class EngineDetailTests(FullStoreDiskFixture fixture) : IClassFixture<FullStoreDiskFixture>
{
    private readonly ContractClient _api = new(fixture.Client, eventuallyConsistent: false);

    [Fact(Timeout = 120_000)]
    public async Task A_store_failure_answers_503_with_a_trace_id_and_without_the_engines_paths()
    {
        var member = Ev.NewId("m");
        await _api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "before")));

        await fixture.Disk.FillAsync();
        string body;
        try
        {
            var events = Enumerable.Range(0, 500).Select(i => Ev.Make(member, $"t{i}", $"s{i}", seq: 0)).ToArray();
            using var response = await _api.PostAsync(Ev.Batch(events));
            body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"Expected 503, got {(int)response.StatusCode}: {body}");
            Assert.NotNull(response.Headers.RetryAfter);
        }
        finally
        {
            fixture.Disk.Empty();
        }

        var problem = System.Text.Json.Nodes.JsonNode.Parse(body)!;
        Assert.False(string.IsNullOrEmpty((string?)problem["traceId"]), body);
        Assert.False(string.IsNullOrEmpty((string?)problem["detail"]), body);
        foreach (var detail in new[] { fixture.DataDir, fixture.Disk.Path, "/tmp", "history.db", "SQLite", "disk is full" })
        {
            Assert.DoesNotContain(detail, body, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_dead_letter_reason_is_shown_without_paths_hosts_or_credentials()
    {
        var queue = fixture.Services.GetRequiredService<IEventQueue>();
        var entry = new QueueEntry(Ev.NewId("dl"), null, new byte[] { 1, 2, 3 }, 1, "poison");
        await queue.DeadLetters.AddAsync(
            entry,
            "StoreUnavailableException: The SQLite store at /var/lib/vh/history.db failed; Host=db.internal;Password=hunter2 nats://vh:hunter2@10.2.3.4:4222",
            CancellationToken.None);

        var listed = await _api.GetJsonAsync("/v1/admin/dead-letters?limit=1000");

        var reason = listed["deadLetters"]!.AsArray().Select(l => (string)l!["reason"]!).Single(r => r.StartsWith("StoreUnavailableException", StringComparison.Ordinal));
        Assert.StartsWith("StoreUnavailableException: The SQLite store at", reason, StringComparison.Ordinal);
        foreach (var detail in new[] { "/var/lib", "history.db", "db.internal", "hunter2", "10.2.3.4", "4222" })
        {
            Assert.DoesNotContain(detail, reason, StringComparison.Ordinal);
        }
    }
}
