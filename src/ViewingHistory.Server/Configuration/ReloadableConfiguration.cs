using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using ViewingHistory.Pipeline;

namespace ViewingHistory.Server.Configuration;

/// <summary>
/// Validates the effective configuration (every file over environment and command line) as a whole: the settings that
/// apply while the process runs (<c>Pipeline</c>, <c>Ingest</c>) must each convert and be in range, every watched file
/// must be readable, and nothing that needs a restart may differ from what the process started with. The same check
/// runs at start (where any error fails the start) and on every reload (where any error refuses the reload).
/// </summary>
internal static class ReloadableConfiguration
{
    /// <summary>The reason given for a change that only a restart can apply (CONTRACT.md "Modes").</summary>
    public const string NeedsRestart = "needs a restart";

    /// <summary>Checks <paramref name="configuration"/>; <paramref name="running"/> is null at start, else what the process started with.</summary>
    public static ConfigurationCheck Check(IConfiguration configuration, RestartSettings? running)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var errors = new List<ConfigurationError>();
        var providers = configuration is IConfigurationRoot root ? root.Providers.Reverse().ToList() : [];
        foreach (var guarded in providers.OfType<GuardedJsonConfigurationProvider>())
        {
            if (guarded.LoadError is { } error)
            {
                errors.Add(new ConfigurationError(null, error, guarded.Source.DisplayPath));
            }
            else if (!guarded.Source.Optional && guarded.Source.FileProvider?.GetFileInfo(guarded.Source.Path ?? string.Empty).Exists == false)
            {
                errors.Add(new ConfigurationError(null, "the file is missing", guarded.Source.DisplayPath));
            }
        }

        if (errors.Count > 0)
        {
            // What a file that cannot be read holds is unknown: its settings are not checked one by one.
            return new ConfigurationCheck(null, null, errors);
        }

        string? FileOf(string key) => providers.FirstOrDefault(p => p.TryGet(key, out _)) is FileConfigurationProvider file
            ? (file as GuardedJsonConfigurationProvider)?.Source.DisplayPath ?? file.Source.Path
            : null;

        var pipeline = Bind<PipelineOptions>(configuration, PipelineOptions.Section, errors, FileOf);
        var ingest = Bind<IngestOptions>(configuration, IngestOptions.Section, errors, FileOf);
        if (running is not null)
        {
            if (pipeline is not null && (pipeline.Mode == PipelineMode.Shadow) != running.Shadow)
            {
                // Shadow mode decides at start whether the shadow store and its processor exist.
                var key = PipelineOptions.Section + ":" + nameof(PipelineOptions.Mode);
                errors.Add(new ConfigurationError(key, NeedsRestart, FileOf(key)));
            }

            var now = RestartSettings.Read(configuration);
            foreach (var key in now.Keys.Union(running.Values.Keys, StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase))
            {
                now.TryGetValue(key, out var value);
                running.Values.TryGetValue(key, out var before);
                if (!string.Equals(value, before, StringComparison.Ordinal))
                {
                    errors.Add(new ConfigurationError(key, NeedsRestart, FileOf(key)));
                }
            }
        }

        return errors.Count > 0 ? new ConfigurationCheck(null, null, errors) : new ConfigurationCheck(pipeline, ingest, errors);
    }

    /// <summary>
    /// Binds one section, converting and range-checking each setting on its own so that every bad one is reported, not
    /// only the first the binder trips on. Unknown keys are ignored, as the binder ignores them.
    /// </summary>
    private static T? Bind<T>(IConfiguration configuration, string sectionName, List<ConfigurationError> errors, Func<string, string?> fileOf)
        where T : class, new()
    {
        var before = errors.Count;
        var defaults = new T();
        var section = configuration.GetSection(sectionName);
        foreach (var child in section.GetChildren())
        {
            var property = typeof(T).GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite)
            {
                continue;
            }

            var setting = $"{sectionName}:{property.Name}";
            var reason = child.Value is { } raw
                ? ConversionError(raw, property.PropertyType)
                : child.GetChildren().Any() ? "expected a single value, found a section" : "has no value";
            if (reason is not null)
            {
                errors.Add(new ConfigurationError(setting, reason, fileOf(child.Path)));
                continue;
            }

            var invalid = new List<ValidationResult>();
            if (!Validator.TryValidateProperty(child.Get(property.PropertyType), new ValidationContext(defaults) { MemberName = property.Name }, invalid))
            {
                errors.AddRange(invalid.Select(r => new ConfigurationError(setting, r.ErrorMessage ?? "is not valid", fileOf(child.Path))));
            }
        }

        if (errors.Count > before)
        {
            return null;
        }

        var value = section.Get<T>() ?? new T();
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
        {
            foreach (var result in results)
            {
                var member = result.MemberNames.FirstOrDefault();
                var setting = member is null ? sectionName : $"{sectionName}:{member}";
                errors.Add(new ConfigurationError(setting, result.ErrorMessage ?? "is not valid", fileOf(setting)));
            }

            return null;
        }

        return value;
    }

    /// <summary>Null when <paramref name="raw"/> converts to <paramref name="type"/> the way the configuration binder converts it.</summary>
    private static string? ConversionError(string raw, Type type)
    {
        var shown = raw.Length > 40 ? raw[..40] + "…" : raw;
        if (type.IsEnum)
        {
            // Names only: the binder would also take numbers and comma lists, which name no mode.
            var names = Enum.GetNames(type).Select(n => n.ToLowerInvariant()).ToList();
            return names.Contains(raw.Trim(), StringComparer.OrdinalIgnoreCase) ? null : $"'{shown}' is not one of {string.Join(", ", names)}";
        }

        if (type == typeof(int))
        {
            return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? null : $"'{shown}' is not an integer";
        }

        if (type == typeof(long))
        {
            return long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? null : $"'{shown}' is not an integer";
        }

        if (type == typeof(TimeSpan))
        {
            return TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out _) ? null : $"'{shown}' is not a duration (hh:mm:ss)";
        }

        if (type == typeof(bool))
        {
            return bool.TryParse(raw, out _) ? null : $"'{shown}' is not true or false";
        }

        return type == typeof(string) ? null : $"cannot check a {type.Name}";
    }
}
