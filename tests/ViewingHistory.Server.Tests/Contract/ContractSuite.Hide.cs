using System.Net;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Contract;

public abstract partial class ContractSuite<TFixture>
{
    [Fact]
    public async Task Hiding_a_title_removes_it_at_once_and_is_idempotent()
    {
        var member = Member();
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "keep"), Ev.Make(member, "hide")));
        await Api.ReadUntilAsync(member, i => i.Count == 2, "two items");

        for (var i = 0; i < 2; i++)
        {
            using var response = await Api.SendAsync(HttpMethod.Delete, $"/v1/members/{member}/history/hide", TestCredentials.MemberToken(member));
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        // Visible as soon as the DELETE returns, in every mode: no polling.
        Assert.Equal(["keep"], (await Api.ReadAllAsync(member)).Select(i => (string)i["titleId"]!));
        using var gone = await Api.SendAsync(HttpMethod.Get, $"/v1/members/{member}/history/hide", TestCredentials.ServiceKey);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task An_old_session_arriving_after_a_hide_stays_hidden_and_a_new_session_shows_again()
    {
        var member = Member();
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "t", "old1", at: Ev.Base)));
        await Api.WaitForTitleAsync(member, "t");
        using (var hide = await Api.SendAsync(HttpMethod.Delete, $"/v1/members/{member}/history/t", TestCredentials.ServiceKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, hide.StatusCode);
        }

        // A late event of a session that ended before the hide, with a witness in the same batch.
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "t", "old2", seq: 3, position: 5000, at: Ev.Base.AddDays(1)), Ev.Make(member, "witness")));
        var items = await Api.WaitForTitleAsync(member, "witness");
        Assert.DoesNotContain(items, i => (string?)i["titleId"] == "t");

        var now = DateTimeOffset.UtcNow.AddSeconds(2);
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "t", "new", position: 42_000, at: now)));
        items = await Api.WaitForTitleAsync(member, "t");
        var item = Item(items, "t");
        Assert.Equal(1, (int)item["sessions"]!);
        Assert.Equal(42_000, (long)item["positionMs"]!);
    }

    [Fact]
    public async Task Hiding_everything_also_covers_titles_whose_old_events_arrive_later()
    {
        var member = Member();
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "a"), Ev.Make(member, "b")));
        await Api.ReadUntilAsync(member, i => i.Count == 2, "two items");

        for (var i = 0; i < 2; i++)
        {
            using var response = await Api.SendAsync(HttpMethod.Delete, $"/v1/members/{member}/history", TestCredentials.MemberToken(member));
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        Assert.Empty(await Api.ReadAllAsync(member));
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "c", at: Ev.Base.AddDays(2)), Ev.Make(member, "witness", at: DateTimeOffset.UtcNow.AddSeconds(2))));
        var items = await Api.WaitForTitleAsync(member, "witness");
        Assert.Equal(["witness"], items.Select(i => (string)i["titleId"]!));
    }

    [Fact]
    public async Task Hiding_a_title_that_was_never_watched_is_a_204()
    {
        using var response = await Api.SendAsync(HttpMethod.Delete, $"/v1/members/{Member()}/history/never", TestCredentials.ServiceKey);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }
}
