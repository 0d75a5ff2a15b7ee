using Microsoft.Extensions.Configuration.Json;

namespace ViewingHistory.Server.Configuration;

/// <summary>The provider of <see cref="GuardedJsonConfigurationSource"/>.</summary>
internal sealed class GuardedJsonConfigurationProvider(GuardedJsonConfigurationSource source) : JsonConfigurationProvider(source)
{
    private bool _loaded;

    /// <summary>The guarded source.</summary>
    public new GuardedJsonConfigurationSource Source => source;

    /// <summary>Why the latest version of the file could not be read; null once a version parsed.</summary>
    public string? LoadError { get; private set; }

    /// <summary>
    /// The first load fails the start as usual. A reload that cannot parse keeps the data of the last version read (the
    /// framework would empty it, and with it every setting of the file) and records the error; the reload still
    /// signals, so the guard sees the refusal.
    /// </summary>
    public override void Load(Stream stream)
    {
        try
        {
            base.Load(stream);
            LoadError = null;
            _loaded = true;
        }
        catch (FormatException ex) when (_loaded)
        {
            LoadError = "not valid JSON: " + (ex.InnerException?.Message ?? ex.Message);
        }
    }

    /// <summary>Also stops the watcher made for this file (its polling timer); a provider the framework resolved is its own.</summary>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && source.FileProvider is WatchedFileProvider watched)
        {
            watched.Dispose();
        }
    }
}
