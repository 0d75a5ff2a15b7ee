using System.Text.Json.Nodes;
using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>Reads <c>/health/ready</c> (optionally <c>?role=</c>): the status code and the JSON body.</summary>
public static class Readiness
{
    public static async Task<(int Code, string? Status, Dictionary<string, string> Roles)> ReadAsync(ServerProcess server, string? role = null)
    {
        using var response = await server.Client.GetAsync(role is null ? "/health/ready" : $"/health/ready?role={role}");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        var roles = body["roles"] is JsonObject r
            ? r.ToDictionary(p => p.Key, p => (string)p.Value!, StringComparer.Ordinal)
            : [];
        return ((int)response.StatusCode, (string?)body["status"], roles);
    }

    public static string Show((int Code, string? Status, Dictionary<string, string> Roles) answer) =>
        $"{answer.Code} {answer.Status} {{{string.Join(", ", answer.Roles.Select(r => $"{r.Key}: {r.Value}"))}}}";
}
