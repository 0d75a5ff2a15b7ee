using System.Net;
using Microsoft.IdentityModel.Tokens;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Contract;

public abstract partial class ContractSuite<TFixture>
{
    [Fact]
    public async Task No_credential_is_a_401_problem_with_a_bearer_challenge()
    {
        using var response = await Api.PostAsync(Ev.Batch(Ev.Make(Member(), "t")), credential: null);

        await ContractClient.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    public static TheoryData<string> UnknownCredentials => new()
    {
        "not-a-key",
        TestCredentials.IngestKey + "x",
        TestCredentials.IngestKey[..^1],
        TestCredentials.UnsignedToken("m1"),
        TestCredentials.MemberToken("m1", secret: "another-secret-that-is-long-enough-0123456789"),
        TestCredentials.MemberToken("m1", expiresIn: TimeSpan.FromSeconds(-90)),
        TestCredentials.MemberToken("m1", algorithm: SecurityAlgorithms.HmacSha512),
        TestCredentials.TokenWithoutExpiry("m1"),
        "a.b.c",
    };

    [Theory]
    [MemberData(nameof(UnknownCredentials))]
    public async Task An_unknown_forged_or_expired_credential_is_a_401(string credential)
    {
        using var response = await Api.SendAsync(HttpMethod.Get, "/v1/members/m1/history", credential);

        await ContractClient.ProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_expired_within_the_30_second_skew_is_accepted()
    {
        var member = Member();

        using var response = await Api.SendAsync(HttpMethod.Get, $"/v1/members/{member}/history", TestCredentials.MemberToken(member, expiresIn: TimeSpan.FromSeconds(-10)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_credential_in_the_query_string_is_not_a_credential()
    {
        using var response = await Api.SendAsync(HttpMethod.Get, $"/v1/members/m1/history?access_token={TestCredentials.ServiceKey}&key={TestCredentials.ServiceKey}", null);

        await ContractClient.ProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_non_bearer_authorization_header_is_a_401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/members/m1/history");
        request.Headers.TryAddWithoutValidation("Authorization", "Basic " + TestCredentials.ServiceKey);
        using var response = await Api.Http.SendAsync(request);

        await ContractClient.ProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Credentials_used_outside_their_rights_are_403s()
    {
        var member = Member();
        var memberToken = TestCredentials.MemberToken(member);
        var cases = new (HttpMethod Method, string Path, string Credential)[]
        {
            (HttpMethod.Get, $"/v1/members/{member}/history", TestCredentials.IngestKey),
            (HttpMethod.Get, $"/v1/members/{member}/history/t1", TestCredentials.IngestKey),
            (HttpMethod.Delete, $"/v1/members/{member}/history", TestCredentials.IngestKey),
            (HttpMethod.Get, "/v1/changes", TestCredentials.IngestKey),
            (HttpMethod.Get, "/v1/changes", memberToken),
            (HttpMethod.Get, "/v1/members/someone-else/history", memberToken),
            (HttpMethod.Get, "/v1/members/someone-else/history/t1", memberToken),
            (HttpMethod.Delete, "/v1/members/someone-else/history/t1", memberToken),
            (HttpMethod.Delete, "/v1/members/someone-else/history", memberToken),
        };
        foreach (var (method, path, credential) in cases)
        {
            using var response = await Api.SendAsync(method, path, credential);
            await ContractClient.ProblemAsync(response, HttpStatusCode.Forbidden);
        }

        foreach (var credential in new[] { TestCredentials.ServiceKey, memberToken })
        {
            using var response = await Api.PostAsync(Ev.Batch(Ev.Make(member, "t")), credential);
            await ContractClient.ProblemAsync(response, HttpStatusCode.Forbidden);
        }
    }

    [Fact]
    public async Task A_member_token_reads_and_manages_its_own_member_and_a_service_key_any()
    {
        var member = Member();
        var token = TestCredentials.MemberToken(member);

        using (var own = await Api.SendAsync(HttpMethod.Get, $"/v1/members/{member}/history", token))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        using (var hide = await Api.SendAsync(HttpMethod.Delete, $"/v1/members/{member}/history/t1", token))
        {
            Assert.Equal(HttpStatusCode.NoContent, hide.StatusCode);
        }

        using var any = await Api.SendAsync(HttpMethod.Get, $"/v1/members/{Member()}/history", TestCredentials.ServiceKey);
        Assert.Equal(HttpStatusCode.OK, any.StatusCode);
    }
}
