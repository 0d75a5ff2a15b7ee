namespace ViewingHistory.Server.Configuration;

/// <summary>The roles one process plays (DESIGN.md principle 8).</summary>
[Flags]
public enum ServiceRoles
{
    None = 0,
    Ingest = 1,
    Processor = 2,
    Api = 4,
    All = Ingest | Processor | Api,
}

public static class ServiceRolesParser
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
