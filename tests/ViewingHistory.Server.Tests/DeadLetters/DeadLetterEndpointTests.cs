using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.DeadLetters;

public sealed class PoisonFixture : InProcessServiceFixture
{
    public override bool EventuallyConsistent => true;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?> { ["Processor:MaxAttempts"] = "2" };
}

/// <summary>
/// The dead-letter admin API on the embedded engines. SQLite rejects one title for good through a trigger the test
/// adds to the server's database file: the service has no hook for it, and the trigger is all that is poisoned.
/// </summary>
public sealed class DeadLetterEndpointTests(PoisonFixture fixture) : IClassFixture<PoisonFixture>
{
    private const string Path = "/v1/admin/dead-letters";
    private readonly ContractClient _api = new(fixture.Client, fixture.EventuallyConsistent);

    [Fact]
    public async Task A_poison_event_is_dead_lettered_without_blocking_and_is_listed_replayed_and_purged_over_http()
    {
        var first = Ev.NewId("m");
        var second = Ev.NewId("m");
        await RejectPoisonAsync(true);
        await _api.PostAcceptedAsync(Ev.Batch(Ev.Make(first, "poison")));
        await _api.PostAcceptedAsync(Ev.Batch(Ev.Make(second, "poison")));
        await _api.PostAcceptedAsync(Ev.Batch(Ev.Make(first, "behind")));

        await _api.WaitForTitleAsync(first, "behind");
        var letters = await Eventually.UntilAsync(ListAsync, l => l.Count == 2, ContractClient.ConsistencyDeadline, "two dead letters");
        Assert.All(letters, l => Assert.Contains("poison title", (string)l["reason"]!, StringComparison.Ordinal));
        Assert.All(letters, l => Assert.Equal(1, (int)l["eventCount"]!));

        await RejectPoisonAsync(false);
        Assert.Equal(1, (int)(await SendJsonAsync(HttpMethod.Post, $"{Path}/{letters[0]["id"]}/replay"))["replayed"]!);
        Assert.Equal(1, (int)(await SendJsonAsync(HttpMethod.Post, $"{Path}/replay"))["replayed"]!);
        await _api.WaitForTitleAsync(first, "poison");
        await _api.WaitForTitleAsync(second, "poison");
        Assert.Empty(await ListAsync());

        await RejectPoisonAsync(true);
        await _api.PostAcceptedAsync(Ev.Batch(Ev.Make(Ev.NewId("m"), "poison")));
        await _api.PostAcceptedAsync(Ev.Batch(Ev.Make(Ev.NewId("m"), "poison")));
        letters = await Eventually.UntilAsync(ListAsync, l => l.Count == 2, ContractClient.ConsistencyDeadline, "two new dead letters");
        await RejectPoisonAsync(false);
        using (var purgeOne = await _api.SendAsync(HttpMethod.Delete, $"{Path}/{letters[0]["id"]}", TestCredentials.ServiceKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, purgeOne.StatusCode);
        }

        Assert.Equal(1, (int)(await SendJsonAsync(HttpMethod.Delete, Path))["purged"]!);
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task The_dead_letter_api_refuses_other_credentials_bad_limits_and_ids_and_says_404_for_unknown_ones()
    {
        foreach (var (credential, status) in new[] { (TestCredentials.IngestKey, HttpStatusCode.Forbidden), (TestCredentials.MemberToken("m1"), HttpStatusCode.Forbidden), ((string?)null, HttpStatusCode.Unauthorized) })
        {
            foreach (var (method, path) in new[] { (HttpMethod.Get, Path), (HttpMethod.Post, $"{Path}/replay"), (HttpMethod.Delete, Path), (HttpMethod.Delete, $"{Path}/abc") })
            {
                using var response = await _api.SendAsync(method, path, credential);
                await ContractClient.ProblemAsync(response, status);
            }
        }

        foreach (var (method, path, status) in new[]
        {
            (HttpMethod.Get, $"{Path}?limit=0", HttpStatusCode.BadRequest),
            (HttpMethod.Get, $"{Path}?limit=1001", HttpStatusCode.BadRequest),
            (HttpMethod.Get, $"{Path}?limit=1&limit=2", HttpStatusCode.BadRequest),
            (HttpMethod.Post, $"{Path}/{Guid.NewGuid():N}/replay", HttpStatusCode.NotFound),
            (HttpMethod.Delete, $"{Path}/{Guid.NewGuid():N}", HttpStatusCode.NotFound),
            (HttpMethod.Post, $"{Path}/..%2F..%2Fqueue.lock/replay", HttpStatusCode.BadRequest),
            (HttpMethod.Delete, $"{Path}/1'%20OR%20'1'='1", HttpStatusCode.BadRequest),
            (HttpMethod.Delete, $"{Path}/{new string('a', 65)}", HttpStatusCode.BadRequest),
        })
        {
            using var response = await _api.SendAsync(method, path, TestCredentials.ServiceKey);
            await ContractClient.ProblemAsync(response, status);
        }
    }

    private async Task<List<JsonObject>> ListAsync() =>
        [.. (await _api.GetJsonAsync($"{Path}?limit=1000"))["deadLetters"]!.AsArray().Select(l => l!.AsObject())];

    private async Task<JsonObject> SendJsonAsync(HttpMethod method, string path)
    {
        using var response = await _api.SendAsync(method, path, TestCredentials.ServiceKey);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private async Task RejectPoisonAsync(bool reject)
    {
        await using var connection = new SqliteConnection($"Data Source={System.IO.Path.Combine(fixture.DataDir, "history.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = reject
            ? "CREATE TRIGGER IF NOT EXISTS reject_poison BEFORE INSERT ON sessions WHEN NEW.title_id = 'poison' BEGIN SELECT RAISE(ABORT, 'poison title'); END"
            : "DROP TRIGGER IF EXISTS reject_poison";
        await command.ExecuteNonQueryAsync();
    }
}
