using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using ViewingHistory.Core.Validation;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Server.Endpoints;

namespace ViewingHistory.Server.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;credential&gt;</c>: an ingest key, a service key, or an HS256 member token
/// (CONTRACT.md "Authentication"). Token validation is set to the contract, not to the library's defaults:
/// HS256 only (no <c>none</c>), <c>exp</c> required with 30 s of skew, no <c>aud</c>/<c>iss</c>, <c>sub</c> read as is.
/// Challenges and refusals answer problem+json.
/// </summary>
internal sealed class CredentialAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    Credentials credentials,
    VhMetrics metrics) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Credential";
    public const string KindClaim = "vh:kind";
    public const string MemberClaim = "vh:member";

    /// <summary>A short, non-reversible id of the key used (for per-key rate limits); never the key itself.</summary>
    public const string KeyClaim = "vh:key";

    private static readonly JsonWebTokenHandler Tokens = new() { MapInboundClaims = false };

    private TokenValidationParameters? _parameters;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization;
        if (header.Count == 0)
        {
            return AuthenticateResult.NoResult();
        }

        var value = header.ToString();
        if (header.Count != 1 || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || value.Length <= 7)
        {
            return AuthenticateResult.Fail("Use 'Authorization: Bearer <credential>'.");
        }

        var presented = value[7..].Trim();
        var kind = credentials.Match(presented, out var keyId);
        if (kind != CredentialKind.None)
        {
            return Success(kind, memberId: null, keyId: keyId!);
        }

        if (presented.Count(c => c == '.') != 2)
        {
            return AuthenticateResult.Fail("Unknown credential.");
        }

        var result = await Tokens.ValidateTokenAsync(presented, _parameters ??= Parameters(credentials.MemberTokenSecret));
        if (!result.IsValid)
        {
            return AuthenticateResult.Fail("Invalid member token.");
        }

        // RFC 7515 4.1.11: a recipient that understands none of the critical header extensions a token lists must
        // refuse it; the validator does not check "crit" by itself.
        if (result.SecurityToken is JsonWebToken token && token.TryGetHeaderValue<object>("crit", out _))
        {
            return AuthenticateResult.Fail("The member token lists critical header extensions.");
        }

        if (!result.Claims.TryGetValue("sub", out var sub) || sub is not string memberId || !EventRules.IsValidId(memberId))
        {
            return AuthenticateResult.Fail("The member token has no valid 'sub'.");
        }

        return Success(CredentialKind.Member, memberId, keyId: "member:" + memberId);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        CountIngestRejection("unauthorized");
        Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.Write(Context, StatusCodes.Status401Unauthorized, "Unauthorized",
            "A valid credential is required: 'Authorization: Bearer <ingest key | service key | member token>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        CountIngestRejection("forbidden");
        return Problems.Write(Context, StatusCodes.Status403Forbidden, "Forbidden", "This credential may not do this.");
    }

    private void CountIngestRejection(string reason)
    {
        if (Request.Path.StartsWithSegments("/v1/playback", StringComparison.Ordinal))
        {
            metrics.Rejected(reason);
        }
    }

    internal static TokenValidationParameters Parameters(byte[] secret) => new()
    {
        IssuerSigningKey = new SymmetricSecurityKey(secret),
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        RequireSignedTokens = true,
        ValidateIssuerSigningKey = true,
        ValidateIssuer = false,
        ValidateAudience = false,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        ClockSkew = TimeSpan.FromSeconds(30),
    };

    private AuthenticateResult Success(CredentialKind kind, string? memberId, string keyId)
    {
        var claims = new List<Claim> { new(KindClaim, kind.ToString()), new(KeyClaim, keyId) };
        if (memberId is not null)
        {
            claims.Add(new Claim(MemberClaim, memberId));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
}
