using System.Text.Json;

namespace ViewingHistory.Cli.Commands;

/// <summary>Reads the server's generated credentials file (<c>&lt;data-dir&gt;/credentials.json</c>) when it exists.</summary>
internal sealed record CredentialsFile(string? IngestKey, string? ServiceKey, string? MemberTokenSecret)
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static CredentialsFile Read(string dataDir)
    {
        var path = Path.Combine(dataDir, "credentials.json");
        return File.Exists(path)
            ? JsonSerializer.Deserialize<CredentialsFile>(File.ReadAllText(path), Options) ?? new CredentialsFile(null, null, null)
            : new CredentialsFile(null, null, null);
    }
}
