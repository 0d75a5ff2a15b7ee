using Microsoft.AspNetCore.Authorization;

namespace ViewingHistory.Server.Auth;

/// <summary>Who may call what (CONTRACT.md "Authentication").</summary>
internal static class Policies
{
    public const string Ingest = "ingest";
    public const string Service = "service";
    public const string Member = "member";

    public static void Add(AuthorizationOptions options)
    {
        options.AddPolicy(Ingest, p => p.RequireClaim(CredentialAuthenticationHandler.KindClaim, nameof(CredentialKind.Ingest)));
        options.AddPolicy(Service, p => p.RequireClaim(CredentialAuthenticationHandler.KindClaim, nameof(CredentialKind.Service)));
        options.AddPolicy(Member, p => p.AddRequirements(new MemberAccessRequirement()));
    }
}

/// <summary>A service key, or a member token whose <c>sub</c> is the route's memberId.</summary>
internal sealed class MemberAccessRequirement : IAuthorizationRequirement;

internal sealed class MemberAccessHandler : AuthorizationHandler<MemberAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, MemberAccessRequirement requirement)
    {
        var kind = context.User.FindFirst(CredentialAuthenticationHandler.KindClaim)?.Value;
        if (kind == nameof(CredentialKind.Service))
        {
            context.Succeed(requirement);
        }
        else if (kind == nameof(CredentialKind.Member) && context.Resource is HttpContext http &&
                 http.GetRouteValue("memberId") is string memberId &&
                 string.Equals(memberId, context.User.FindFirst(CredentialAuthenticationHandler.MemberClaim)?.Value, StringComparison.Ordinal))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
