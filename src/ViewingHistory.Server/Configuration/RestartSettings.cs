using ViewingHistory.Pipeline;

namespace ViewingHistory.Server.Configuration;

/// <summary>
/// What the process built at start and cannot change while it runs: whether it is in shadow mode (the shadow store and
/// its processor exist only then) and the values of the settings read once at start (roles, data directory, engines,
/// processors, archive, feed, credentials). A reload that changes any of them is refused with "needs a restart".
/// </summary>
internal sealed record RestartSettings(bool Shadow, IReadOnlyDictionary<string, string?> Values)
{
    /// <summary>The settings, or sections of settings, read once at start.</summary>
    public static readonly IReadOnlyList<string> Keys = ["Roles", "DataDir", "Queue", "Store", "Processor", "Archive", "Feed", "Auth"];

    /// <summary>The restart-only values of <paramref name="configuration"/>, flattened (<c>Queue:Kind</c> = <c>embedded</c>).</summary>
    public static IReadOnlyDictionary<string, string?> Read(IConfiguration configuration)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in Keys)
        {
            var section = configuration.GetSection(key);
            if (section.Value is not null)
            {
                values[section.Path] = section.Value;
            }

            foreach (var (path, value) in section.AsEnumerable(makePathsRelative: false))
            {
                if (value is not null)
                {
                    values[path] = value;
                }
            }
        }

        return values;
    }

    /// <summary>The settings of the process now running.</summary>
    public static RestartSettings Capture(IConfiguration configuration, PipelineOptions pipeline) =>
        new(pipeline.Mode == PipelineMode.Shadow, Read(configuration));
}
