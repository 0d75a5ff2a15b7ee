namespace ViewingHistory.Server.Configuration;

/// <summary>Top-level settings: where local state lives and which roles this process plays.</summary>
internal sealed record ServiceOptions
{
    /// <summary>Local state: the embedded queue, the SQLite store, generated credentials. Default <c>./data</c>.</summary>
    public string DataDir { get; init; } = "data";

    /// <summary>
    /// The roles this process plays: the setting <c>Roles</c>, a comma-separated subset of <c>ingest</c>,
    /// <c>processor</c>, <c>api</c> (default all three), parsed once at start (<see cref="ServiceRolesParser"/>).
    /// </summary>
    public ServiceRoles Roles { get; init; } = ServiceRoles.All;

    /// <summary>
    /// How long the process keeps serving after a stop was asked for, while <c>/health/ready</c> already answers 503,
    /// so a balancer takes it out of rotation before its listeners close. Default zero: stop at once.
    /// </summary>
    public TimeSpan DrainDelay { get; init; } = TimeSpan.Zero;

    /// <summary>Reads the top-level settings (<c>DataDir</c>, <c>Roles</c>, <c>DrainDelay</c>).</summary>
    /// <exception cref="InvalidOperationException">A role or a delay that does not parse.</exception>
    public static ServiceOptions Read(IConfiguration configuration) => new()
    {
        DataDir = configuration["DataDir"] is { Length: > 0 } dir ? dir : "data",
        Roles = ServiceRolesParser.Parse(configuration["Roles"]),
        DrainDelay = configuration.GetValue("DrainDelay", TimeSpan.Zero),
    };
}
