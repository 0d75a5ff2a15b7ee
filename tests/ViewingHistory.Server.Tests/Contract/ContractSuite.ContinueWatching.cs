using System.Net;
using System.Text.Json.Nodes;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Contract;

/// <summary>CONTRACT.md, "Continue watching and conditional reads": the list.</summary>
public abstract partial class ContractSuite<TFixture>
{
    private static bool InProgress(JsonObject item) => (double)item["progress"]! >= 0.01 && !(bool)item["completed"]!;

    [Fact]
    public async Task Continue_watching_lists_the_in_progress_items_of_the_history_in_its_order()
    {
        var member = Member();
        // One event per title (so a title that shows is settled), around both edges of the rounding, with ties.
        (string Title, long Position, int Minute)[] titles =
        [
            ("zero", 0, 1), ("p0099", 994, 2), ("p0100", 995, 3), ("half-b", 50_000, 4), ("half-A", 50_000, 4),
            ("p8999", 89_994, 5), ("p9000", 89_995, 6), ("end", 100_000, 7), ("past", 160_000, 8),
        ];
        await Api.PostAcceptedAsync(Ev.Batch(titles.Select(t => Ev.Make(member, t.Title, position: t.Position, at: Ev.Base.AddMinutes(t.Minute)))));
        var history = await Api.ReadUntilAsync(member, i => i.Count == titles.Length, $"{titles.Length} items");

        var resume = await Api.ReadAllAsync(member, "continue-watching", 100);

        Assert.Equal(["p8999", "half-A", "half-b", "p0100"], resume.Select(i => (string)i["titleId"]!));
        Assert.Equal(ContractClient.Canonical(history.Where(InProgress)), ContractClient.Canonical(resume));
        Assert.Equal(0.01, (double)Item(resume, "p0100")["progress"]!);
        Assert.Equal(0.8999, (double)Item(resume, "p8999")["progress"]!);
    }

    [Fact]
    public async Task Continue_watching_pages_like_the_history_and_refuses_its_cursors()
    {
        var member = Member();
        // 45 titles over 15 times (three share each lastWatchedAt); every third one finished: 30 in progress.
        var events = Enumerable.Range(0, 45)
            .Select(i => Ev.Make(member, $"title-{i:00}", position: i % 3 == 1 ? 95_000 : 10_000 + i, at: Ev.Base.AddMinutes(i / 3)))
            .ToList();
        await Api.PostAcceptedAsync(Ev.Batch(events));
        await Api.ReadUntilAsync(member, i => i.Count == 45, "45 items");

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Api.GetJsonAsync($"/v1/members/{member}/continue-watching?limit=7" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"));
            var items = page["items"]!.AsArray();
            Assert.True(items.Count is > 0 and <= 7);
            seen.AddRange(items.Select(i => (string)i!["titleId"]!));
            cursor = (string?)page["nextCursor"];
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(5, pages);
        Assert.Equal(Enumerable.Range(0, 45).Where(i => i % 3 != 1).OrderByDescending(i => i / 3).ThenBy(i => i).Select(i => $"title-{i:00}"), seen);

        var first = await Api.GetJsonAsync($"/v1/members/{member}/continue-watching");
        Assert.Equal(20, first["items"]!.AsArray().Count);
        var resumeCursor = (string)first["nextCursor"]!;
        var historyCursor = (string)(await Api.GetJsonAsync($"/v1/members/{member}/history?limit=3"))["nextCursor"]!;

        // A cursor of one list is a 400 on the other, and each still works on its own list.
        foreach (var (list, foreign) in new[] { ("continue-watching", historyCursor), ("history", resumeCursor) })
        {
            using var refused = await Api.SendAsync(HttpMethod.Get, $"/v1/members/{member}/{list}?cursor={Uri.EscapeDataString(foreign)}", TestCredentials.ServiceKey);
            await ContractClient.ProblemAsync(refused, HttpStatusCode.BadRequest);
        }

        Assert.Equal(10, (await Api.GetJsonAsync($"/v1/members/{member}/continue-watching?cursor={Uri.EscapeDataString(resumeCursor)}"))["items"]!.AsArray().Count);
        Assert.Equal(3, (await Api.GetJsonAsync($"/v1/members/{member}/history?limit=3&cursor={Uri.EscapeDataString(historyCursor)}"))["items"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=abc")]
    [InlineData("limit=5&limit=6")]
    [InlineData("cursor=not-issued-by-us")]
    [InlineData("cursor=AQAAAZOCS8gAdDE")]
    public async Task A_bad_limit_or_cursor_on_continue_watching_is_a_400(string query)
    {
        using var response = await Api.SendAsync(HttpMethod.Get, $"/v1/members/{Member()}/continue-watching?{query}", TestCredentials.ServiceKey);

        await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Continue_watching_takes_the_history_credentials()
    {
        var member = Member();
        var path = $"/v1/members/{member}/continue-watching";

        var empty = await Api.GetJsonAsync(path, TestCredentials.MemberToken(member));
        Assert.Empty(empty["items"]!.AsArray());
        Assert.True(empty.ContainsKey("nextCursor"));
        Assert.Null(empty["nextCursor"]);
        await Api.GetJsonAsync(path, TestCredentials.ServiceKey);

        using (var none = await Api.SendAsync(HttpMethod.Get, path, null))
        {
            await ContractClient.ProblemAsync(none, HttpStatusCode.Unauthorized);
        }

        foreach (var outsider in new[] { TestCredentials.MemberToken(Member()), TestCredentials.IngestKey })
        {
            using var refused = await Api.SendAsync(HttpMethod.Get, path, outsider);
            await ContractClient.ProblemAsync(refused, HttpStatusCode.Forbidden);
        }

        using var badId = await Api.SendAsync(HttpMethod.Get, "/v1/members/bad%20id/continue-watching", TestCredentials.ServiceKey);
        await ContractClient.ProblemAsync(badId, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_hidden_title_leaves_continue_watching_as_soon_as_the_delete_returns()
    {
        var member = Member();
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "keep", position: 40_000), Ev.Make(member, "hide", position: 40_000)));
        await Api.ReadUntilAsync(member, i => i.Count == 2, "two items");
        Assert.Equal(2, (await Api.ReadAllAsync(member, "continue-watching", 20)).Count);

        using (var hide = await Api.SendAsync(HttpMethod.Delete, $"/v1/members/{member}/history/hide", TestCredentials.MemberToken(member)))
        {
            Assert.Equal(HttpStatusCode.NoContent, hide.StatusCode);
        }

        Assert.Equal(["keep"], (await Api.ReadAllAsync(member, "continue-watching", 20)).Select(i => (string)i["titleId"]!));
        using (var hideAll = await Api.SendAsync(HttpMethod.Delete, $"/v1/members/{member}/history", TestCredentials.ServiceKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, hideAll.StatusCode);
        }

        Assert.Empty(await Api.ReadAllAsync(member, "continue-watching", 20));
    }
}
