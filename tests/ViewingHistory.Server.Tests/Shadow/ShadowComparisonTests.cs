using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using ViewingHistory.Pipeline;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Shadow;

/// <summary>Issue 6: the comparer finds the two stores equal when they are, and reports a difference item by item when not.</summary>
public sealed class ShadowComparisonTests(ShadowEmbeddedSqliteFixture fixture) : IClassFixture<ShadowEmbeddedSqliteFixture>
{
    private readonly ContractClient _api = new(fixture.Client, eventuallyConsistent: false);

    [Fact]
    public async Task The_shadow_store_built_by_the_async_path_equals_the_sync_store()
    {
        var member = Ev.NewId("m");
        await _api.PostAcceptedAsync(Ev.Batch(Enumerable.Range(0, 30).Select(i => Ev.Make(member, $"t{i % 4}", $"s{i % 3}", seq: i, position: i * 1000, at: Ev.Base.AddSeconds(i)))));
        using (var hide = await _api.SendAsync(HttpMethod.Delete, $"/v1/members/{member}/history/t1", TestCredentials.ServiceKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, hide.StatusCode);
        }

        var report = await CompareAsync(new { members = new[] { member }, settleSeconds = 30 });

        Assert.Equal(0, (int)report["mismatched"]!);
        Assert.Equal(3, (int)report["itemsCompared"]!);
    }

    [Fact]
    public async Task A_difference_between_the_stores_is_reported_item_by_item()
    {
        var member = Ev.NewId("m");
        await _api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "same"), Ev.Make(member, "differs", position: 1000)));
        await CompareAsync(new { members = new[] { member }, settleSeconds = 30 });

        // Diverge the shadow store behind the pipeline's back, as a bug in the async path would.
        var shadow = fixture.Services.GetRequiredService<StoreSet>().Shadow!;
        var session = new SessionState("rogue", Ev.Base.AddDays(1).ToUnixTimeMilliseconds(), 9, Ev.Base.AddDays(1).ToUnixTimeMilliseconds(), "rogue-e", 99_000, 100_000);
        await shadow.ApplyAsync(new Dictionary<SessionKey, SessionState> { [new SessionKey(member, "differs", "rogue")] = session }, CancellationToken.None);

        var report = await CompareAsync(new { all = true, settleSeconds = 1 });

        var mismatch = Assert.Single(report["mismatches"]!.AsArray(), m => (string?)m!["memberId"] == member);
        Assert.Equal("differs", (string?)mismatch!["titleId"]);
        Assert.Equal(1000, (long)mismatch["sync"]!["positionMs"]!);
        Assert.Equal(99_000, (long)mismatch["shadow"]!["positionMs"]!);
        Assert.True((int)report["mismatched"]! >= 1);
    }

    [Fact]
    public async Task A_compare_request_must_name_members_or_all()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/shadow/compare") { Content = JsonContent.Create(new { members = Array.Empty<string>() }) };
        ContractClient.Authorize(request, TestCredentials.ServiceKey);
        using var response = await _api.Http.SendAsync(request);

        await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    private async Task<JsonObject> CompareAsync(object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/shadow/compare") { Content = JsonContent.Create(body) };
        ContractClient.Authorize(request, TestCredentials.ServiceKey);
        using var response = await _api.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }
}
