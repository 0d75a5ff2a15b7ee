using ViewingHistory.Server.Auth;

namespace ViewingHistory.Server.OpenApi;

/// <summary>
/// The three credential kinds of CONTRACT.md "Authentication" as OpenAPI security schemes, and which of them each
/// authorization policy accepts. All three are bearer credentials in the same header; the schemes tell a client
/// generator (and a reader) which one an operation wants.
/// </summary>
internal static class CredentialSchemes
{
    public const string IngestKey = "ingestKey";
    public const string ServiceKey = "serviceKey";
    public const string MemberToken = "memberToken";

    public static readonly IReadOnlyList<(string Name, string? Format, string Description)> All =
    [
        (IngestKey, null, "An ingest key (`Auth:IngestKeys`): may only `POST /v1/playback/events`."),
        (ServiceKey, null, "A service key (`Auth:ServiceKeys`): reads and manages any member, reads the change feed, and uses the admin endpoints."),
        (MemberToken, "JWT", "A member token: a JWT signed HS256 with `Auth:MemberTokenSecret`, `sub` = memberId, `exp` required (30 s of skew). Reads and manages that one member only."),
    ];

    /// <summary>The schemes any one of which satisfies <paramref name="policy"/>; throws for a policy the document does not know.</summary>
    public static IReadOnlyList<string> For(string policy) => policy switch
    {
        Policies.Ingest => [IngestKey],
        Policies.Service => [ServiceKey],
        Policies.Member => [ServiceKey, MemberToken],
        _ => throw new InvalidOperationException($"The API document does not know the authorization policy '{policy}': add it to CredentialSchemes.For."),
    };
}
