using System.Text.Json.Serialization;

namespace ViewingHistory.Server.Auth;

/// <summary>The credentials file in the data directory: the generated credential of each kind that was not configured.</summary>
internal sealed record GeneratedCredentials(string? IngestKey, string? ServiceKey, string? MemberTokenSecret);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(GeneratedCredentials))]
internal sealed partial class CredentialsJsonContext : JsonSerializerContext;
