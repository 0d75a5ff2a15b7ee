using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ViewingHistory.Server.Tests.Infrastructure;

/// <summary>Credentials the test servers are configured with, and member tokens minted (or forged) for them.</summary>
public static class TestCredentials
{
    public const string IngestKey = "test-ingest-key-0123456789";
    public const string ServiceKey = "test-service-key-0123456789";
    public const string Secret = "test-member-token-secret-0123456789-abcdef-long-enough-for-hs512-too";

    /// <summary>The settings a real server (<c>ServerProcess</c>) needs to take these credentials, on <paramref name="dataDir"/>.</summary>
    public static Dictionary<string, string> ServerSettings(string dataDir) => new()
    {
        ["DataDir"] = dataDir,
        ["Auth:IngestKeys:0"] = IngestKey,
        ["Auth:ServiceKeys:0"] = ServiceKey,
        ["Auth:MemberTokenSecret"] = Secret,
    };

    public static string MemberToken(string memberId, TimeSpan? expiresIn = null, string secret = Secret, string algorithm = SecurityAlgorithms.HmacSha256)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", memberId)]),
            Expires = now + (expiresIn ?? TimeSpan.FromMinutes(10)),
            NotBefore = now.AddMinutes(-20),
            IssuedAt = now.AddMinutes(-20),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), algorithm),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>A token with <c>alg: none</c> and no signature.</summary>
    public static string UnsignedToken(string memberId) =>
        $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64($"{{\"sub\":\"{memberId}\",\"exp\":{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}}}")}.";

    /// <summary>A correctly signed token without <c>exp</c>.</summary>
    public static string TokenWithoutExpiry(string memberId)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = memberId },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Secret)), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private static string B64(string s) => Base64UrlEncoder.Encode(s);
}
