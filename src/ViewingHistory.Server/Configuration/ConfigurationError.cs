namespace ViewingHistory.Server.Configuration;

/// <summary>One reason a configuration was refused.</summary>
/// <param name="Setting">The setting (e.g. <c>Pipeline:Mode</c>); null when the file as a whole is at fault (not valid JSON, missing).</param>
/// <param name="Reason">Why, e.g. <c>'asynch' is not one of async, sync, shadow</c> or <c>needs a restart</c>.</param>
/// <param name="File">The configuration file the refused value comes from; null when it comes from elsewhere or is gone.</param>
internal sealed record ConfigurationError(string? Setting, string Reason, string? File);
