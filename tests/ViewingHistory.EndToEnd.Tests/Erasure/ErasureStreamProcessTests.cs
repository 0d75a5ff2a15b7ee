using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using static ViewingHistory.EndToEnd.Tests.Erasure.ErasureClient;

namespace ViewingHistory.EndToEnd.Tests.Erasure;

/// <summary>
/// Issue 15 on JetStream and PostgreSQL, in a real server process: after <c>completedAt</c> the relay's stream holds no
/// message of the erased member's item-carrying changes from before the erasure, only its null changes and later
/// changes; and a dead letter of the member from before the erasure, replayed with <c>vh dlq replay</c> after it, does
/// not bring the covered history back. PostgreSQL rejects the poison title for good through a CHECK constraint the
/// test adds to its own database (as DeadLetterProcessTests does).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ErasureStreamProcessTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string Constraint = "e2e_reject_poison";
    private readonly TempDirectory _data = new("vh-e2e-erasure-stream");
    private NatsServer _nats = null!;

    public async Task InitializeAsync() => _nats = await NatsServer.StartNewAsync();

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        _data.Dispose();
    }

    [Fact(Timeout = 90_000)]
    public async Task After_completedAt_the_relay_stream_holds_only_null_and_later_changes_and_a_dead_letter_replay_resurrects_nothing()
    {
        var db = await postgres.CreateDatabaseAsync();
        var settings = Distributed.Settings(_data.Path, _nats.Url, db);
        settings["Processor:MaxAttempts"] = "2";
        settings["Processor:MaxBackoff"] = "00:00:00.200";
        settings["Erasure:PurgeInterval"] = "00:00:00.200";
        settings["Feed:RelayPollInterval"] = "00:00:00.050";
        settings["Archive:Enabled"] = "false";
        await using var server = await ServerProcess.StartAsync(settings);
        var vh = new[] { "--url", server.BaseAddress.ToString(), "--service-key", Distributed.ServiceKey };
        await ExecuteAsync(db, $"ALTER TABLE sessions ADD CONSTRAINT {Constraint} CHECK (title_id <> 'poison')");

        var (member, other) = ($"rel-{Guid.NewGuid():N}"[..20], $"oth-{Guid.NewGuid():N}"[..20]);
        var before = DateTimeOffset.UtcNow.AddHours(-1);
        await PostAsync(server.Client, [Event(member, "poison", before)]);
        await PostAsync(server.Client, [Event(member, "t1", before), Event(member, "t2", before.AddMinutes(1)), Event(other, "t1", before)]);
        await TitlesUntilAsync(server.Client, member, t => t.Count == 2, "the member's two titles");
        var letter = Assert.Single(await Eventually.UntilAsync(() => DeadLettersAsync(vh), l => l.Count == 1, TimeSpan.FromSeconds(30), "the poison entry dead-lettered"));

        await using var nats = new NatsConnection(new NatsOpts { Url = _nats.Url });
        var js = new NatsJSContext(nats);
        await Eventually.UntilAsync(async () => (await ReadMemberAsync(js, member)).Count, n => n == 2, TimeSpan.FromSeconds(30), "the member's two changes on the relay stream");

        var (requestedAt, erasedThrough) = await EraseAsync(server.Client, member);
        var status = await CompletedAsync(server.Client, member, TimeSpan.FromSeconds(30));
        Assert.Empty(status["pending"]!.AsArray());
        var relayed = await Eventually.UntilAsync(() => ReadMemberAsync(js, member), m => m.Count == 2, TimeSpan.FromSeconds(10), "the null changes on the stream");
        Assert.True(relayed.All(c => c["item"] is null), $"on the stream: {string.Join(", ", relayed.Select(c => c.ToJsonString()))}");
        Assert.Equal(["t1", "t2"], relayed.Select(c => (string)c["titleId"]!).Order(StringComparer.Ordinal));
        Assert.Single(await ReadMemberAsync(js, other), c => c["item"] is not null);

        // The cause removed, the dead letter of the member (stamped before E) is replayed after the erasure: dropped.
        await ExecuteAsync(db, $"ALTER TABLE sessions DROP CONSTRAINT {Constraint}");
        var replay = await VhTool.RunAsync(["dlq", "replay", "--id", (string)letter["id"]!, .. vh]);
        Assert.True(replay.ExitCode == 0 && replay.Output.Contains("replayed 1", StringComparison.Ordinal), replay.ToString());
        await PostWitnessAsync(server.Client, member, requestedAt, erasedThrough);
        Assert.Equal(["witness"], await TitlesUntilAsync(server.Client, member, t => t.Contains("witness"), "the witness after E"));
        Assert.Empty(await DeadLettersAsync(vh));
        using (var export = await SendAsync(server.Client, HttpMethod.Get, $"/v1/members/{member}/export"))
        {
            Assert.Equal(HttpStatusCode.OK, export.StatusCode);
            var body = JsonNode.Parse(await export.Content.ReadAsStringAsync())!;
            Assert.Equal(["witness"], body["sessions"]!.AsArray().Select(s => (string)s!["titleId"]!));
        }

        // Later changes reach the stream as before; nothing covered came back to it.
        var final = await Eventually.UntilAsync(() => ReadMemberAsync(js, member), m => m.Count == 3, TimeSpan.FromSeconds(10), "the witness on the stream");
        Assert.Equal("witness", (string)final.Single(c => c["item"] is not null)["titleId"]!);
        Assert.Equal(["t1"], await TitlesAsync(server.Client, other));
    }

    private static async Task<List<JsonObject>> DeadLettersAsync(string[] vh)
    {
        var result = await VhTool.RunAsync(["dlq", "list", "--json", .. vh]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. JsonNode.Parse(result.Output)!["deadLetters"]!.AsArray().Select(l => l!.AsObject())];
    }

    /// <summary>Every message on the member's subject of the relay stream (default names: the test has its own nats-server).</summary>
    private static async Task<List<JsonObject>> ReadMemberAsync(NatsJSContext js, string member)
    {
        var subject = "vh.changes." + member;
        var count = (await js.GetStreamAsync("VH_CHANGES")).Info.State.Messages;
        var messages = new List<JsonObject>();
        if (count == 0)
        {
            return messages;
        }

        var consumer = await js.CreateOrderedConsumerAsync("VH_CHANGES", new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.All });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = 0L;
        await foreach (var msg in consumer.ConsumeAsync<byte[]>(cancellationToken: deadline.Token))
        {
            if (msg.Subject == subject)
            {
                messages.Add(JsonNode.Parse(Encoding.UTF8.GetString(msg.Data!))!.AsObject());
            }

            if (++read == count)
            {
                break;
            }
        }

        return messages;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
