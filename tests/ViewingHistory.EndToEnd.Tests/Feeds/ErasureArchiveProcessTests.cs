using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ViewingHistory.Testing;
using Xunit.Abstractions;

namespace ViewingHistory.EndToEnd.Tests.Feeds;

/// <summary>
/// Issue 15, the archive's part of an erasure, on a real server process: DuckDB finds no row of the erased member once
/// the erasure has completed, every row of another member stays, and a covered event that arrives after the erasure is
/// never archived.
/// </summary>
public sealed class ErasureArchiveProcessTests(ITestOutputHelper output) : IDisposable
{
    private const string IngestKey = "e2e-ingest-key-0123456789";
    private const string ServiceKey = "e2e-service-key-0123456789";
    private readonly TempDirectory _data = new("vh-e2e-erasure");

    private string ArchiveRoot => Path.Combine(_data.Path, "archive");

    [Fact(Timeout = 180_000)]
    public async Task DuckDB_finds_no_row_of_an_erased_member_after_completedAt()
    {
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["DataDir"] = _data.Path,
            ["Auth:IngestKeys:0"] = IngestKey,
            ["Auth:ServiceKeys:0"] = ServiceKey,
            ["Auth:MemberTokenSecret"] = "e2e-member-token-secret-0123456789-abcdef",
            ["Archive:FlushInterval"] = "00:00:00.200",
            ["Erasure:ArchiveWithin"] = "00:00:02",
            ["Erasure:PurgeInterval"] = "00:00:00.500",
        });
        var (gone, kept) = ($"gone-{Guid.NewGuid():N}"[..20], $"kept-{Guid.NewGuid():N}"[..20]);
        var start = DateTimeOffset.UtcNow.AddHours(-3);
        var events = Enumerable.Range(0, 40).SelectMany(i => new[] { Event(gone, i, start.AddMinutes(i)), Event(kept, i, start.AddMinutes(i)) }).ToList();
        await PostAsync(server, events);
        await Eventually.UntilAsync(
            () => Task.FromResult(ArchiveQuery.ReadAll(ArchiveRoot)),
            rows => rows.Count(r => r.MemberId == gone) == 40 && rows.Count(r => r.MemberId == kept) == 40,
            TimeSpan.FromSeconds(60),
            "both members' events in the archive");

        using (var erase = await SendAsync(server, HttpMethod.Delete, $"/v1/members/{gone}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, erase.StatusCode);
        }

        // A late covered event of the erased member, with a witness of the other one behind it.
        await PostAsync(server, [Event(gone, 99, start.AddMinutes(90)), Event(kept, 99, start.AddMinutes(90))]);
        var status = await Eventually.UntilAsync(
            async () =>
            {
                using var response = await SendAsync(server, HttpMethod.Get, $"/v1/members/{gone}/erasure");
                return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            },
            s => s["completedAt"] is not null,
            TimeSpan.FromSeconds(90),
            "the erasure to complete");
        output.WriteLine(status.ToJsonString());
        var after = await Eventually.UntilAsync(
            () => Task.FromResult(ArchiveQuery.ReadAll(ArchiveRoot)),
            rows => rows.Count(r => r.MemberId == kept) == 41,
            TimeSpan.FromSeconds(30),
            "the witness in the archive");

        Assert.DoesNotContain(after, r => r.MemberId == gone);
        Assert.Equal(41, after.Where(r => r.MemberId == kept).Select(r => r.EventId).Distinct().Count());
    }

    public void Dispose() => _data.Dispose();

    private static JsonObject Event(string member, int i, DateTimeOffset at) => new()
    {
        ["eventId"] = $"{member}-e{i}",
        ["memberId"] = member,
        ["titleId"] = $"t{i % 5}",
        ["sessionId"] = $"s{i}",
        ["seq"] = 0,
        ["type"] = "progress",
        ["positionMs"] = i * 1000,
        ["durationMs"] = 100_000,
        ["timestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    };

    private static async Task PostAsync(ServerProcess server, IEnumerable<JsonObject> events)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events")
        {
            Content = new StringContent(new JsonArray(events.Select(e => (JsonNode)e).ToArray()).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + IngestKey);
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private static Task<HttpResponseMessage> SendAsync(ServerProcess server, HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + ServiceKey);
        return server.Client.SendAsync(request);
    }
}
