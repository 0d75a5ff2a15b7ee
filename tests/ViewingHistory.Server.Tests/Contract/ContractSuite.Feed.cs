using System.Net;
using System.Text.Json.Nodes;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Contract;

public abstract partial class ContractSuite<TFixture>
{
    [Fact]
    public async Task The_change_feed_folded_by_member_and_title_equals_the_reads()
    {
        var member = Member();
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "a", position: 1000), Ev.Make(member, "b"), Ev.Make(member, "c")));
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "a", seq: 1, position: 2000, at: Ev.Base.AddMinutes(1))));
        await Api.ReadUntilAsync(member, i => i.Count == 3 && (long)Item(i, "a")["positionMs"]! == 2000, "three items");
        using (var hide = await Api.SendAsync(HttpMethod.Delete, $"/v1/members/{member}/history/b", TestCredentials.ServiceKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, hide.StatusCode);
        }

        var reads = await Api.ReadAllAsync(member);
        var fold = await FoldFeedAsync(member);

        Assert.Equal(
            ContractClient.Canonical(reads.OrderBy(i => (string)i["titleId"]!, StringComparer.Ordinal)),
            ContractClient.Canonical(fold.Values.Where(i => i is not null).Select(i => i!).OrderBy(i => (string)i["titleId"]!, StringComparer.Ordinal)));
        Assert.True(fold.ContainsKey("b"));
        Assert.Null(fold["b"]);
    }

    [Theory]
    [InlineData("after=-1")]
    [InlineData("after=x")]
    [InlineData("limit=0")]
    [InlineData("limit=1001")]
    public async Task A_bad_feed_query_is_a_400(string query)
    {
        using var response = await Api.SendAsync(HttpMethod.Get, $"/v1/changes?{query}", TestCredentials.ServiceKey);

        await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task With_no_change_after_a_position_next_is_that_position()
    {
        var page = await Api.GetJsonAsync($"/v1/changes?after={long.MaxValue - 1}&limit=5");

        Assert.Empty(page["changes"]!.AsArray());
        Assert.Equal(long.MaxValue - 1, (long)page["next"]!);
    }

    /// <summary>Reads the whole feed from 0 and folds the member's changes by title: the last change wins.</summary>
    private async Task<Dictionary<string, JsonObject?>> FoldFeedAsync(string member)
    {
        var fold = new Dictionary<string, JsonObject?>(StringComparer.Ordinal);
        long after = 0;
        long? lastPosition = null;
        while (true)
        {
            var page = await Api.GetJsonAsync($"/v1/changes?after={after}&limit=1000");
            var changes = page["changes"]!.AsArray();
            foreach (var change in changes.Select(c => c!.AsObject()))
            {
                var position = (long)change["position"]!;
                Assert.True(lastPosition is null || position > lastPosition, "feed positions only grow");
                lastPosition = position;
                if ((string?)change["memberId"] == member)
                {
                    fold[(string)change["titleId"]!] = change["item"]?.AsObject();
                }
            }

            var next = (long)page["next"]!;
            if (changes.Count == 0)
            {
                Assert.Equal(after, next);
                return fold;
            }

            after = next;
        }
    }
}
