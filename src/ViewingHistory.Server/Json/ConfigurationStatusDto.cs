using ViewingHistory.Server.Configuration;

namespace ViewingHistory.Server.Json;

/// <summary>
/// The <c>configuration</c> of <c>GET /v1/admin/status</c>: whether the latest configuration reload was put in force.
/// While <c>valid</c> is false the last valid configuration stays in force, and <c>errors</c> says why the newer one
/// was refused, until a valid reload replaces it.
/// </summary>
/// <param name="Valid">False while a reload is refused.</param>
/// <param name="AppliedAt">When the configuration in force was taken (the start, or the last valid reload).</param>
/// <param name="RefusedAt">When the refused reload was seen; null while valid.</param>
/// <param name="File">The file the refused configuration comes from (the first, should several be at fault); null while valid.</param>
/// <param name="Errors">Every setting at fault and why; empty while valid.</param>
internal sealed record ConfigurationStatusDto(bool Valid, string AppliedAt, string? RefusedAt, string? File, IReadOnlyList<ConfigurationError> Errors);
