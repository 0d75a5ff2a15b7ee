using System.Security.Cryptography;
using System.Text;
using ViewingHistory.Server.Auth;

namespace ViewingHistory.Server.Tests.Auth;

/// <summary>The key check that hashes a presented key once per request (no second hash for its id).</summary>
public sealed class CredentialsTests
{
    private static readonly Credentials Keys = new(["ingest-one", "ingest-two"], ["service-one"], new string('s', 32));

    private static string IdOf(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)), 0, 8);

    [Theory]
    [InlineData("ingest-one", "Ingest")]
    [InlineData("ingest-two", "Ingest")]
    [InlineData("service-one", "Service")]
    public void A_configured_key_matches_its_kind_with_the_id_of_its_own_digest(string key, string kind)
    {
        Assert.Equal(Enum.Parse<CredentialKind>(kind), Keys.Match(key, out var id));
        Assert.Equal(IdOf(key), id);
    }

    [Theory]
    [InlineData("ingest-on")]
    [InlineData("ingest-one ")]
    [InlineData("INGEST-ONE")]
    [InlineData("")]
    [InlineData("service-one-and-more")]
    public void A_key_that_is_not_configured_is_refused_without_an_id(string key)
    {
        Assert.Equal(CredentialKind.None, Keys.Match(key, out var id));
        Assert.Null(id);
    }

    [Fact]
    public void A_long_or_non_ascii_key_is_hashed_like_any_other()
    {
        var longKey = new string('k', 10_000);
        var credentials = new Credentials([longKey], ["clé-de-service-ü"], new string('s', 32));

        Assert.Equal(CredentialKind.Ingest, credentials.Match(longKey, out var longId));
        Assert.Equal(IdOf(longKey), longId);
        Assert.Equal(CredentialKind.Service, credentials.Match("clé-de-service-ü", out var serviceId));
        Assert.Equal(IdOf("clé-de-service-ü"), serviceId);
        Assert.Equal(CredentialKind.None, credentials.Match(longKey[..^1], out _));
    }
}
