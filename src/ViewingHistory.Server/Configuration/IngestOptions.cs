using System.ComponentModel.DataAnnotations;

namespace ViewingHistory.Server.Configuration;

/// <summary>The <c>Ingest</c> section: overload protection of <c>POST /v1/playback/events</c>.</summary>
internal sealed record IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>Requests per second allowed to one ingest key (token bucket); 0 turns the limit off. Beyond it: 429 + Retry-After.</summary>
    [Range(0, 1_000_000)]
    public int RateLimitPerSecond { get; init; }

    /// <summary>Requests one key may send at once above its rate (the bucket size); 0 means one second's worth.</summary>
    [Range(0, 10_000_000)]
    public int RateLimitBurst { get; init; }

    /// <summary>Ingest requests in flight at once in this process; beyond it: 503 + Retry-After.</summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentRequests { get; init; } = 2048;
}
