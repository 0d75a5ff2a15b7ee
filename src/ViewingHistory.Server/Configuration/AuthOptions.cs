namespace ViewingHistory.Server.Configuration;

/// <summary>The <c>Auth</c> section (CONTRACT.md "Authentication"). Kinds left empty are generated on first start.</summary>
internal sealed record AuthOptions
{
    public const string Section = "Auth";

    public IReadOnlyList<string> IngestKeys { get; init; } = [];

    public IReadOnlyList<string> ServiceKeys { get; init; } = [];

    /// <summary>HS256 secret for member tokens; at least 32 UTF-8 bytes.</summary>
    public string? MemberTokenSecret { get; init; }
}
