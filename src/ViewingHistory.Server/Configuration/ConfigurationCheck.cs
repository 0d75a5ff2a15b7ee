using ViewingHistory.Pipeline;

namespace ViewingHistory.Server.Configuration;

/// <summary>The outcome of <see cref="ReloadableConfiguration.Check"/>: the options to put in force, or why not (then both are null).</summary>
internal sealed record ConfigurationCheck(PipelineOptions? Pipeline, IngestOptions? Ingest, IReadOnlyList<ConfigurationError> Errors)
{
    /// <summary>True when the configuration may be put in force.</summary>
    public bool Valid => Errors.Count == 0;
}
