using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Contract;

/// <summary>CONTRACT.md, "Continue watching and conditional reads": ETag and If-None-Match on the three reads.</summary>
public abstract partial class ContractSuite<TFixture>
{
    /// <summary>The quoted base64url of the first 16 bytes of the body's SHA-256 (README: what the service chose).</summary>
    private static string TagOf(byte[] body) => "\"" + Base64Url.EncodeToString(SHA256.HashData(body).AsSpan(0, 16)) + "\"";

    private static void AssertCacheHeaders(HttpResponseMessage response, string tag)
    {
        Assert.Equal(tag, response.Headers.ETag?.ToString());
        Assert.False(response.Headers.ETag!.IsWeak);
        Assert.Equal("private, no-cache", response.Headers.NonValidated["Cache-Control"].ToString());
        Assert.Equal("Authorization", response.Headers.NonValidated["Vary"].ToString());
    }

    /// <summary>A member with one item in progress (at 0.4501), settled; returns the three read paths.</summary>
    private async Task<string[]> ThreeReadsAsync(string member)
    {
        await Api.PostAcceptedAsync(Ev.Batch(
            Ev.Make(member, "t1", "s1", seq: 0, position: 0, duration: 7_200_000, at: Ev.Base),
            Ev.Make(member, "t1", "s1", seq: 1, position: 3_240_360, duration: 7_200_000, at: Ev.Base.AddMilliseconds(1234))));
        await Api.ReadUntilAsync(member, i => i.Count == 1 && (long)i[0]["positionMs"]! == 3_240_360, "the item at its last position");
        return [$"/v1/members/{member}/history", $"/v1/members/{member}/history/t1", $"/v1/members/{member}/continue-watching"];
    }

    [Fact]
    public async Task Each_read_carries_the_strong_etag_of_its_body_the_same_in_every_mode_and_on_every_engine()
    {
        var member = Member();
        var paths = await ThreeReadsAsync(member);

        // The bodies hold nothing of the member, node or mode, so their tags are constants every deployment shares.
        string[] expected = ["\"qnbqwfBe6ea5jlH2lO7liQ\"", "\"MHDt1ls790wCaui29WMvEw\"", "\"qnbqwfBe6ea5jlH2lO7liQ\""];
        for (var i = 0; i < paths.Length; i++)
        {
            foreach (var credential in new[] { TestCredentials.ServiceKey, TestCredentials.MemberToken(member) })
            {
                using var response = await Api.GetAsync(paths[i], credential, ifNoneMatch: null);
                var body = await response.Content.ReadAsByteArrayAsync();
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                AssertCacheHeaders(response, TagOf(body));
                Assert.Equal(expected[i], TagOf(body));
            }
        }

        using var empty = await Api.GetAsync($"/v1/members/{Member()}/continue-watching", TestCredentials.ServiceKey, ifNoneMatch: null);
        AssertCacheHeaders(empty, "\"1HFgwB9EEmnQI_8aDlEmZg\"");
    }

    [Fact]
    public async Task If_none_match_naming_the_current_tag_gets_a_304_with_no_body_and_the_same_headers()
    {
        var member = Member();
        foreach (var path in await ThreeReadsAsync(member))
        {
            using var first = await Api.GetAsync(path, TestCredentials.ServiceKey, ifNoneMatch: null);
            var tag = first.Headers.ETag!.Tag;

            // Weak comparison (RFC 9110 8.8.3.2), lists, several header lines, and "*".
            foreach (var condition in new[] { tag, "W/" + tag, $"\"nope\", {tag}", $"W/\"x,y\" ,W/{tag}", "*", " * " })
            {
                using var response = await Api.GetAsync(path, TestCredentials.MemberToken(member), condition);
                Assert.True(response.StatusCode == HttpStatusCode.NotModified, $"{path} with If-None-Match: {condition} answered {(int)response.StatusCode}");
                AssertCacheHeaders(response, tag);
                Assert.Empty(await response.Content.ReadAsByteArrayAsync());
            }

            using (var twoLines = new HttpRequestMessage(HttpMethod.Get, path))
            {
                ContractClient.Authorize(twoLines, TestCredentials.ServiceKey);
                twoLines.Headers.TryAddWithoutValidation("If-None-Match", ["\"a\"", tag]);
                using var response = await Api.Http.SendAsync(twoLines);
                Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
            }

            // Another tag, a malformed header (ignored) or an unquoted tag: the full answer.
            foreach (var condition in new[] { "\"other\"", tag.Trim('"'), tag + " junk", "W/" + tag.Trim('"'), "*, " + tag, string.Empty })
            {
                using var response = await Api.GetAsync(path, TestCredentials.ServiceKey, condition);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} with If-None-Match: {condition} answered {(int)response.StatusCode}");
                AssertCacheHeaders(response, tag);
                Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync());
            }
        }
    }

    [Fact]
    public async Task A_change_to_the_body_changes_the_tag_and_the_old_tag_gets_a_200()
    {
        var member = Member();
        var paths = await ThreeReadsAsync(member);
        var before = new List<string>();
        foreach (var path in paths)
        {
            using var response = await Api.GetAsync(path, TestCredentials.ServiceKey, ifNoneMatch: null);
            before.Add(response.Headers.ETag!.Tag);
        }

        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "t1", "s1", seq: 2, position: 3_600_000, duration: 7_200_000, at: Ev.Base.AddSeconds(5))));
        await Api.ReadUntilAsync(member, i => (long)i[0]["positionMs"]! == 3_600_000, "the new position");

        for (var i = 0; i < paths.Length; i++)
        {
            using var response = await Api.GetAsync(paths[i], TestCredentials.ServiceKey, before[i]);
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.NotEqual(before[i], response.Headers.ETag!.Tag);
            AssertCacheHeaders(response, TagOf(body));
        }

        // Unchanged bodies keep their tags: the same read twice is a 304 on the tag just given.
        using var again = await Api.GetAsync(paths[0], TestCredentials.ServiceKey, ifNoneMatch: null);
        using var unchanged = await Api.GetAsync(paths[0], TestCredentials.ServiceKey, again.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
    }

    [Fact]
    public async Task Preconditions_are_checked_after_authentication_and_validation()
    {
        var member = Member();
        var paths = await ThreeReadsAsync(member);
        foreach (var path in paths)
        {
            using var none = await Api.GetAsync(path, null, "*");
            await ContractClient.ProblemAsync(none, HttpStatusCode.Unauthorized);
            using var outsider = await Api.GetAsync(path, TestCredentials.MemberToken(Member()), "*");
            await ContractClient.ProblemAsync(outsider, HttpStatusCode.Forbidden);
        }

        foreach (var path in new[] { paths[0] + "?limit=0", paths[2] + "?cursor=nope", "/v1/members/bad%20id/history/t1" })
        {
            using var bad = await Api.GetAsync(path, TestCredentials.ServiceKey, "*");
            await ContractClient.ProblemAsync(bad, HttpStatusCode.BadRequest);
        }

        // No current representation: "*" does not hold, and the answer is the 404 (with no tag).
        using var missing = await Api.GetAsync($"/v1/members/{member}/history/none", TestCredentials.ServiceKey, "*");
        await ContractClient.ProblemAsync(missing, HttpStatusCode.NotFound);
        Assert.Null(missing.Headers.ETag);
    }
}
