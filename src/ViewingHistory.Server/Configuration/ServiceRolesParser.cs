namespace ViewingHistory.Server.Configuration;

/// <summary>Reads the <c>Roles</c> setting, once at start; everything else takes the parsed <see cref="ServiceOptions.Roles"/>.</summary>
internal static class ServiceRolesParser
{
    public static ServiceRoles Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return ServiceRoles.All;
        }

        var roles = ServiceRoles.None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            roles |= part.ToLowerInvariant() switch
            {
                "ingest" => ServiceRoles.Ingest,
                "processor" => ServiceRoles.Processor,
                "api" => ServiceRoles.Api,
                _ => throw new InvalidOperationException($"Unknown role '{part}' in Roles: use a comma-separated subset of ingest, processor, api."),
            };
        }

        return roles;
    }
}
