namespace ViewingHistory.Server.Configuration;

/// <summary>The roles one process plays (DESIGN.md principle 8).</summary>
[Flags]
internal enum ServiceRoles
{
    None = 0,
    Ingest = 1,
    Processor = 2,
    Api = 4,
    All = Ingest | Processor | Api,
}
