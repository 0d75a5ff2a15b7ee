using Microsoft.Extensions.Configuration.Json;

namespace ViewingHistory.Server.Configuration;

/// <summary>
/// A watched JSON file whose reloads <see cref="ConfigurationGuard"/> can refuse: a version that is not valid JSON keeps
/// the last content read, instead of the framework's empty one, and says why (<see cref="GuardedJsonConfigurationProvider.LoadError"/>).
/// </summary>
internal sealed class GuardedJsonConfigurationSource : JsonConfigurationSource
{
    /// <summary>The same file, options and provider as <paramref name="source"/>, guarded.</summary>
    public static GuardedJsonConfigurationSource From(JsonConfigurationSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new GuardedJsonConfigurationSource
        {
            FileProvider = source.FileProvider,
            Path = source.Path ?? string.Empty,
            Optional = source.Optional,
            ReloadOnChange = source.ReloadOnChange,
            ReloadDelay = source.ReloadDelay,
            OnLoadException = source.OnLoadException,
        };
    }

    /// <summary>The file's full path, as it appears in refusals.</summary>
    public string DisplayPath => FileProvider?.GetFileInfo(Path ?? string.Empty).PhysicalPath ?? Path ?? string.Empty;

    /// <inheritdoc />
    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new GuardedJsonConfigurationProvider(this);
    }
}
