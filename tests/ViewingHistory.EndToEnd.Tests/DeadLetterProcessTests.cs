using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>
/// Issue 5, dead letters, on real engines: PostgreSQL rejects one title for good (a CHECK constraint the test adds to
/// its own database: the service has no hook for it), and raw bytes that are no batch are published straight to the
/// JetStream subject. Both end in the dead-letter queue without holding back the events behind them, and the real
/// <c>vh</c> tool lists, replays and purges them over the server's admin API.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class DeadLetterProcessTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string Constraint = "e2e_reject_poison";
    private readonly TempDirectory _data = new("vh-e2e-dlq");
    private NatsServer _nats = null!;

    public async Task InitializeAsync() => _nats = await NatsServer.StartNewAsync();

    [Fact]
    public async Task Poison_and_undecodable_entries_reach_the_dlq_without_blocking_and_vh_dlq_lists_replays_and_purges_them()
    {
        var db = await postgres.CreateDatabaseAsync();
        var settings = Distributed.Settings(_data.Path, _nats.Url, db);

        // The service key is generated into the data dir, where `vh --data-dir` finds it, as an operator's would.
        settings.Remove("Auth:ServiceKeys:0");
        settings["Processor:MaxAttempts"] = "2";
        await using var server = await ServerProcess.StartAsync(settings);
        var serviceKey = (string)JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_data.Path, "credentials.json")))!["serviceKey"]!;
        var vh = new[] { "--url", server.BaseAddress.ToString(), "--data-dir", _data.Path };
        await ExecuteAsync(db, $"ALTER TABLE sessions ADD CONSTRAINT {Constraint} CHECK (title_id <> 'poison')");

        var member = "dlq-" + Guid.NewGuid().ToString("N")[..12];
        await PostAsync(server, Event(member, "poison"));
        await PublishRawAsync(Encoding.UTF8.GetBytes("not a batch"));
        await PublishRawAsync([1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
        await PostAsync(server, Event(member, "behind"));

        await Eventually.UntilAsync(() => HasTitleAsync(server, serviceKey, member, "behind"), TimeSpan.FromSeconds(60), "the event behind the poison to be applied");
        var letters = await Eventually.UntilAsync(() => ListAsync(vh), l => l.Count == 3, TimeSpan.FromSeconds(60), "three dead letters");
        var poison = Assert.Single(letters, l => ((string)l["reason"]!).Contains(Constraint, StringComparison.Ordinal));
        Assert.Equal(1, (int)poison["eventCount"]!);
        Assert.Equal(2, letters.Count(l => ((string)l["reason"]!).StartsWith("Undecodable", StringComparison.Ordinal)));
        Assert.False(await HasTitleAsync(server, serviceKey, member, "poison"));
        await Eventually.UntilAsync(async () => await DeadLetterGaugeAsync(server) == 3, TimeSpan.FromSeconds(30), "vh_dlq_events to read 3");

        var table = await VhTool.RunAsync(["dlq", "list", .. vh]);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("3 dead letter(s)", table.Output, StringComparison.Ordinal);
        Assert.Contains((string)poison["id"]!, table.Output, StringComparison.Ordinal);

        // The cause removed, the replay goes through like any batch.
        await ExecuteAsync(db, $"ALTER TABLE sessions DROP CONSTRAINT {Constraint}");
        var replay = await VhTool.RunAsync(["dlq", "replay", "--id", (string)poison["id"]!, .. vh]);
        Assert.True(replay.ExitCode == 0 && replay.Output.Contains("replayed 1", StringComparison.Ordinal), replay.ToString());
        await Eventually.UntilAsync(() => HasTitleAsync(server, serviceKey, member, "poison"), TimeSpan.FromSeconds(60), "the replayed event to be applied");
        Assert.Equal(2, (await ListAsync(vh)).Count);

        var purge = await VhTool.RunAsync(["dlq", "purge", "--all", .. vh]);
        Assert.True(purge.ExitCode == 0 && purge.Output.Contains("purged 2", StringComparison.Ordinal), purge.ToString());
        Assert.Empty(await ListAsync(vh));
        await Eventually.UntilAsync(async () => await DeadLetterGaugeAsync(server) == 0, TimeSpan.FromSeconds(30), "vh_dlq_events to read 0");

        // Operator mistakes are refused with a reason, not guessed at.
        var neither = await VhTool.RunAsync(["dlq", "replay", .. vh]);
        Assert.Equal(2, neither.ExitCode);
        var missing = await VhTool.RunAsync(["dlq", "purge", "--id", "424242", .. vh]);
        Assert.True(missing.ExitCode == 1 && missing.Error.Contains("404", StringComparison.Ordinal), missing.ToString());
        var wrongKey = await VhTool.RunAsync(["dlq", "list", "--url", server.BaseAddress.ToString(), "--service-key", "not-a-key"]);
        Assert.True(wrongKey.ExitCode == 1 && wrongKey.Error.Contains("401", StringComparison.Ordinal), wrongKey.ToString());
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        _data.Dispose();
    }

    private static JsonObject Event(string member, string title) => new()
    {
        ["eventId"] = $"{member}-{title}",
        ["memberId"] = member,
        ["titleId"] = title,
        ["sessionId"] = "s",
        ["seq"] = 0,
        ["type"] = "progress",
        ["positionMs"] = 1000,
        ["durationMs"] = 100_000,
        ["timestamp"] = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    };

    private static async Task PostAsync(ServerProcess server, JsonObject e)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events")
        {
            Content = new StringContent(new JsonArray(e).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Distributed.IngestKey);
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private async Task PublishRawAsync(byte[] bytes)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = _nats.Url });
        var ack = await new NatsJSContext(nats).PublishAsync("VH_EVENTS.batch", bytes);
        ack.EnsureSuccess();
    }

    private static async Task<bool> HasTitleAsync(ServerProcess server, string serviceKey, string member, string title)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/members/{member}/history/{title}");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + serviceKey);
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode == HttpStatusCode.OK;
    }

    private static async Task<List<JsonObject>> ListAsync(string[] vh)
    {
        var result = await VhTool.RunAsync(["dlq", "list", "--json", .. vh]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. JsonNode.Parse(result.Output)!["deadLetters"]!.AsArray().Select(l => l!.AsObject())];
    }

    private static async Task<long> DeadLetterGaugeAsync(ServerProcess server)
    {
        var text = await server.Client.GetStringAsync("/metrics");
        var match = DlqGauge().Match(text);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [GeneratedRegex(@"^vh_dlq_events(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline)]
    private static partial Regex DlqGauge();
}
