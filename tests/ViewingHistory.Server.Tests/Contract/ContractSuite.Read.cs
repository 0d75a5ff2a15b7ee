using System.Net;
using System.Text.Json.Nodes;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Testing.Vectors;

namespace ViewingHistory.Server.Tests.Contract;

public abstract partial class ContractSuite<TFixture>
{
    public static IEnumerable<object[]> VectorsWithoutHides =>
        HistoryVectors.All.Where(c => c.Hides.Count == 0).Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(VectorsWithoutHides))]
    public async Task The_history_is_the_one_the_contract_defines_for_each_vector(string name)
    {
        var vector = HistoryVectors.Get(name);
        var prefix = Ev.NewId("v")[..12] + "-";
        var events = vector.EventJson.Select(json =>
        {
            var e = JsonNode.Parse(json)!.AsObject();
            e["memberId"] = prefix + (string)e["memberId"]!;
            e["eventId"] = prefix + (string)e["eventId"]!;
            return e;
        }).ToList();

        // Reversed and in two requests: arrival order and batching must not matter.
        events.Reverse();
        await Api.PostAcceptedAsync(Ev.Batch(events.Take(events.Count / 2)));
        await Api.PostAcceptedAsync(Ev.Batch(events.Skip(events.Count / 2)));

        foreach (var (member, expected) in vector.History)
        {
            var want = expected.Select(i => new JsonObject
            {
                ["titleId"] = i.TitleId,
                ["lastWatchedAt"] = i.LastWatchedAt,
                ["positionMs"] = i.PositionMs,
                ["durationMs"] = i.DurationMs,
                ["progress"] = i.Progress,
                ["completed"] = i.Completed,
                ["sessions"] = i.Sessions,
            }).ToList();
            var items = await Api.ReadUntilAsync(prefix + member, got => ContractClient.Canonical(got) == ContractClient.Canonical(want), $"vector '{name}' for {member}");
            Assert.Equal(ContractClient.Canonical(want), ContractClient.Canonical(items));
        }
    }

    [Fact]
    public async Task Following_next_cursor_visits_every_item_once_newest_first_ties_by_title()
    {
        var member = Member();
        // 45 titles over 15 distinct times: three titles share each lastWatchedAt.
        var events = Enumerable.Range(0, 45).Select(i => Ev.Make(member, $"title-{i:00}", at: Ev.Base.AddMinutes(i / 3))).ToList();
        await Api.PostAcceptedAsync(Ev.Batch(events));
        await Api.ReadUntilAsync(member, i => i.Count == 45, "45 items");

        var seen = new List<JsonObject>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Api.GetJsonAsync($"/v1/members/{member}/history?limit=7" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"));
            var items = page["items"]!.AsArray();
            Assert.True(items.Count is > 0 and <= 7);
            seen.AddRange(items.Select(i => i!.AsObject()));
            cursor = (string?)page["nextCursor"];
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(7, pages);
        var expected = Enumerable.Range(0, 45).OrderByDescending(i => i / 3).ThenBy(i => i).Select(i => $"title-{i:00}");
        Assert.Equal(expected, seen.Select(i => (string)i["titleId"]!));
    }

    [Fact]
    public async Task The_default_page_is_20_items()
    {
        var member = Member();
        await Api.PostAcceptedAsync(Ev.Batch(Enumerable.Range(0, 25).Select(i => Ev.Make(member, $"t{i}"))));
        await Api.ReadUntilAsync(member, i => i.Count == 25, "25 items");

        var page = await Api.GetJsonAsync($"/v1/members/{member}/history");

        Assert.Equal(20, page["items"]!.AsArray().Count);
        Assert.NotNull((string?)page["nextCursor"]);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=-1")]
    [InlineData("limit=abc")]
    [InlineData("limit=1.5")]
    [InlineData("limit=")]
    [InlineData("limit=5&limit=6")]
    [InlineData("cursor=not-issued-by-us")]
    [InlineData("cursor=AQAAAZOCS8gAdDE")]
    public async Task A_bad_limit_or_a_cursor_the_service_did_not_issue_is_a_400(string query)
    {
        using var response = await Api.SendAsync(HttpMethod.Get, $"/v1/members/{Member()}/history?{query}", TestCredentials.ServiceKey);

        await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_member_with_no_history_gets_an_empty_list()
    {
        var page = await Api.GetJsonAsync($"/v1/members/{Member()}/history?limit=100");

        Assert.Empty(page["items"]!.AsArray());
        Assert.True(page.ContainsKey("nextCursor"));
        Assert.Null(page["nextCursor"]);
    }

    [Fact]
    public async Task A_single_item_reads_with_exactly_the_contract_fields()
    {
        var member = Member();
        await Api.PostAcceptedAsync(Ev.Batch(
            Ev.Make(member, "t1", "s1", seq: 0, position: 0, duration: 7_200_000, at: Ev.Base),
            Ev.Make(member, "t1", "s1", seq: 1, position: 3_240_360, duration: 7_200_000, at: Ev.Base.AddMilliseconds(1234))));
        await Api.WaitForTitleAsync(member, "t1");

        var item = await Eventually(() => Api.GetJsonAsync($"/v1/members/{member}/history/t1", TestCredentials.MemberToken(member)), i => (long)i["positionMs"]! == 3_240_360);

        Assert.Equal(
            """{"titleId":"t1","lastWatchedAt":"2026-01-01T00:00:01.234Z","positionMs":3240360,"durationMs":7200000,"progress":0.4501,"completed":false,"sessions":1}""",
            item.ToJsonString());
    }

    [Fact]
    public async Task An_item_that_does_not_exist_is_a_404_problem()
    {
        using var response = await Api.SendAsync(HttpMethod.Get, $"/v1/members/{Member()}/history/nothing", TestCredentials.ServiceKey);

        await ContractClient.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/v1/members/bad%20id/history")]
    [InlineData("/v1/members/m1/history/bad%27id")]
    public async Task Ids_outside_the_alphabet_in_paths_are_400s(string path)
    {
        using var response = await Api.SendAsync(HttpMethod.Get, path, TestCredentials.ServiceKey);

        await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    private async Task<JsonObject> Eventually(Func<Task<JsonObject>> probe, Func<JsonObject, bool> done) =>
        Api.EventuallyConsistent
            ? await ViewingHistory.Testing.Eventually.UntilAsync(probe, done, ContractClient.ConsistencyDeadline, "the item")
            : await probe();
}
