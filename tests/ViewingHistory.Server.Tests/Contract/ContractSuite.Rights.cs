using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Contract;

/// <summary>CONTRACT.md "Member data rights", on every mode and engine pair.</summary>
public abstract partial class ContractSuite<TFixture>
{
    [Fact]
    public async Task The_export_holds_the_items_every_session_and_the_hide_marks()
    {
        var member = Member();
        var older = Ev.Make(member, "b", "s1", seq: 0, position: 1_000, at: Ev.Base);
        older["device"] = "tv";
        var head = Ev.Make(member, "b", "s1", seq: 2, position: 30_000, at: Ev.Base.AddMinutes(2));
        head["device"] = "phone";
        await Api.PostAcceptedAsync(Ev.Batch(older, head, Ev.Make(member, "a", "s9", position: 50_000, at: Ev.Base.AddMinutes(1)), Ev.Make(member, "c", "x")));
        await Api.ReadUntilAsync(member, i => i.Count == 3, "three items");
        using (var hide = await Api.SendAsync(HttpMethod.Delete, $"/v1/members/{member}/history/c", TestCredentials.ServiceKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, hide.StatusCode);
        }

        var export = await Api.GetJsonAsync($"/v1/members/{member}/export", TestCredentials.MemberToken(member));

        Assert.Equal(member, (string)export["memberId"]!);
        Assert.True(DateTimeOffset.TryParse((string)export["exportedAt"]!, CultureInfo.InvariantCulture, out _));
        Assert.Equal(ContractClient.Canonical(await Api.ReadAllAsync(member)), ContractClient.Canonical(export["items"]!.AsArray().Select(i => i!.AsObject())));
        var sessions = export["sessions"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(["a/s9", "b/s1", "c/x"], sessions.Select(s => $"{s["titleId"]}/{s["sessionId"]}"));
        var b = sessions[1];
        Assert.Equal("2026-01-01T00:00:00.000Z", (string)b["startedAt"]!);
        Assert.Equal("2026-01-01T00:02:00.000Z", (string)b["lastAt"]!);
        Assert.Equal((30_000L, 100_000L, "phone", false), ((long)b["positionMs"]!, (long)b["durationMs"]!, (string?)b["device"], (bool)b["hidden"]!));
        Assert.Null(sessions[0]["device"]);
        Assert.True((bool)sessions[2]["hidden"]!);
        var hides = export["hides"]!.AsArray().Select(h => h!.AsObject()).ToList();
        Assert.Equal("c", (string)Assert.Single(hides)["titleId"]!);
        Assert.False(export.ContainsKey("erasedAt"));
    }

    [Fact]
    public async Task The_csv_export_is_one_crlf_line_per_item_and_neutralises_formula_cells()
    {
        var member = Member();
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "-cmd", position: 45_005, at: Ev.Base.AddMinutes(1)), Ev.Make(member, "plain", position: 100_000)));
        await Api.ReadUntilAsync(member, i => i.Count == 2, "two items");

        foreach (var (query, accept) in new[] { ("?format=csv", "application/json"), ("", "text/csv") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/members/{member}/export{query}");
            ContractClient.Authorize(request, TestCredentials.ServiceKey);
            request.Headers.TryAddWithoutValidation("Accept", accept);
            using var response = await Api.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
            Assert.Equal(
                "titleId,lastWatchedAt,positionMs,durationMs,progress,completed,sessions\r\n" +
                "'-cmd,2026-01-01T00:01:00.000Z,45005,100000,0.4501,false,1\r\n" +
                "plain,2026-01-01T00:00:00.000Z,100000,100000,1,true,1\r\n",
                await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Export_and_erasure_refuse_what_the_contract_refuses()
    {
        var member = Member();
        using (var bad = await Api.SendAsync(HttpMethod.Get, $"/v1/members/{member}/export?format=xml", TestCredentials.ServiceKey))
        {
            await ContractClient.ProblemAsync(bad, HttpStatusCode.BadRequest);
        }

        using (var other = await Api.SendAsync(HttpMethod.Get, $"/v1/members/{member}/export", TestCredentials.MemberToken(Member())))
        {
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        }

        using (var token = await Api.SendAsync(HttpMethod.Delete, $"/v1/members/{member}", TestCredentials.MemberToken(member)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, token.StatusCode);
        }

        using (var status = await Api.SendAsync(HttpMethod.Get, $"/v1/members/{member}/erasure", TestCredentials.MemberToken(member)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, status.StatusCode);
        }

        using (var none = await Api.SendAsync(HttpMethod.Get, $"/v1/members/{member}/erasure", TestCredentials.ServiceKey))
        {
            await ContractClient.ProblemAsync(none, HttpStatusCode.NotFound);
        }

        var empty = await Api.GetJsonAsync($"/v1/members/{member}/export", TestCredentials.MemberToken(member));
        Assert.Empty(empty["items"]!.AsArray());
        Assert.Empty(empty["sessions"]!.AsArray());
        Assert.Empty(empty["hides"]!.AsArray());
    }

    [Fact]
    public async Task An_erasure_empties_reads_and_export_at_once_and_covered_late_events_never_come_back()
    {
        var member = Member();
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "a"), Ev.Make(member, "b", position: 5_000)));
        await Api.ReadUntilAsync(member, i => i.Count == 2, "two items");
        using (var hide = await Api.SendAsync(HttpMethod.Delete, $"/v1/members/{member}/history/a", TestCredentials.ServiceKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, hide.StatusCode);
        }

        var (requestedAt, erasedThrough) = await EraseAsync(member);
        Assert.Equal(requestedAt.AddMinutes(5), erasedThrough);
        Assert.Empty(await Api.ReadAllAsync(member));
        var export = await Api.GetJsonAsync($"/v1/members/{member}/export");
        Assert.Empty(export["items"]!.AsArray());
        Assert.Empty(export["sessions"]!.AsArray());
        Assert.Empty(export["hides"]!.AsArray());
        Assert.Equal(erasedThrough, DateTimeOffset.Parse((string)export["erasedAt"]!, CultureInfo.InvariantCulture));

        // A repeat while pending answers the same mark.
        Assert.Equal((requestedAt, erasedThrough), await EraseAsync(member));
        var status = await Api.GetJsonAsync($"/v1/members/{member}/erasure");
        Assert.Equal(requestedAt, DateTimeOffset.Parse((string)status["requestedAt"]!, CultureInfo.InvariantCulture));
        Assert.Equal(erasedThrough, DateTimeOffset.Parse((string)status["erasedThrough"]!, CultureInfo.InvariantCulture));
        Assert.NotNull(status["pending"]);

        // Late events: an old one of an erased title, and one stamped just inside E; then a witness after E.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var witnessAt = DateTimeOffset.UtcNow.AddMinutes(5).AddSeconds(-1);
        Assert.True(witnessAt > erasedThrough);
        await Api.PostAcceptedAsync(Ev.Batch(
            Ev.Make(member, "b", seq: 7, position: 9_000, at: Ev.Base.AddDays(3)),
            Ev.Make(member, "edge", at: erasedThrough),
            Ev.Make(member, "witness", position: 1_000, at: witnessAt)));
        var items = await Api.WaitForTitleAsync(member, "witness");
        Assert.Equal(["witness"], items.Select(i => (string)i["titleId"]!));
    }

    [Fact]
    public async Task The_feed_gets_null_changes_for_an_erased_members_items_and_loses_the_earlier_ones()
    {
        var member = Member();
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "a"), Ev.Make(member, "b")));
        await Api.ReadUntilAsync(member, i => i.Count == 2, "two items");
        await ViewingHistory.Testing.Eventually.UntilAsync(() => MemberChangesAsync(member), c => c.Count(x => x["item"] is not null) == 2, ContractClient.ConsistencyDeadline, "the feed to carry both items");

        await EraseAsync(member);

        var changes = await MemberChangesAsync(member);
        Assert.Equal(["a", "b"], changes.Select(c => (string)c["titleId"]!).Order(StringComparer.Ordinal));
        Assert.All(changes, c => Assert.Null(c["item"]));
    }

    [Fact]
    public async Task An_erasure_completes_once_the_feed_the_stream_and_every_archive_root_are_clean()
    {
        var member = Member();
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "a"), Ev.Make(member, "b")));
        await Api.ReadUntilAsync(member, i => i.Count == 2, "two items");
        var (requestedAt, _) = await EraseAsync(member);

        var status = await ViewingHistory.Testing.Eventually.UntilAsync(
            () => Api.GetJsonAsync($"/v1/members/{member}/erasure"),
            s => s["completedAt"] is not null,
            TimeSpan.FromSeconds(60),
            "the erasure to complete");
        Assert.Empty(status["pending"]!.AsArray());
        Assert.True(DateTimeOffset.Parse((string)status["completedAt"]!, CultureInfo.InvariantCulture) >= requestedAt);

        // Completed: a new request records a new, later mark.
        var (again, _) = await EraseAsync(member);
        Assert.True(again > requestedAt);
    }

    [Fact]
    public async Task Erasing_a_member_with_no_data_is_a_202_too()
    {
        var (requestedAt, erasedThrough) = await EraseAsync(Member());

        Assert.Equal(requestedAt.AddMinutes(5), erasedThrough);
    }

    private async Task<(DateTimeOffset RequestedAt, DateTimeOffset ErasedThrough)> EraseAsync(string member)
    {
        using var response = await Api.SendAsync(HttpMethod.Delete, $"/v1/members/{member}", TestCredentials.ServiceKey);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {text}");
        Assert.Equal($"/v1/members/{member}/erasure", response.Headers.Location?.OriginalString);
        var body = JsonNode.Parse(text)!.AsObject();
        return (
            DateTimeOffset.Parse((string)body["requestedAt"]!, CultureInfo.InvariantCulture),
            DateTimeOffset.Parse((string)body["erasedThrough"]!, CultureInfo.InvariantCulture));
    }

    private async Task<List<JsonObject>> MemberChangesAsync(string member)
    {
        var mine = new List<JsonObject>();
        long after = 0;
        while (true)
        {
            var page = await Api.GetJsonAsync($"/v1/changes?after={after}&limit=1000");
            var changes = page["changes"]!.AsArray().Select(c => c!.AsObject()).ToList();
            mine.AddRange(changes.Where(c => (string?)c["memberId"] == member));
            var next = (long)page["next"]!;
            if (next == after)
            {
                return mine;
            }

            after = next;
        }
    }
}
