using System.ComponentModel.DataAnnotations;

namespace ViewingHistory.Pipeline;

/// <summary>The <c>Pipeline</c> configuration section. Read through <see cref="OptionsInForce{T}"/>, so a valid reload takes effect on the next request.</summary>
public sealed record PipelineOptions
{
    public const string Section = "Pipeline";

    public PipelineMode Mode { get; init; } = PipelineMode.Async;

    /// <summary>In async mode, the share of members (by stable hash) that take the async path; the rest take the sync path.</summary>
    [Range(0, 100)]
    public int AsyncPercent { get; init; } = 100;

    /// <summary>How long a sync-path store write may take before the request answers 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan SyncApplyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether a member's events take the sync path under these options.</summary>
    public bool IsSyncPath(string memberId) => Mode switch
    {
        PipelineMode.Sync or PipelineMode.Shadow => true,
        _ => AsyncPercent < 100 && Core.Events.MemberHash.Percentile(memberId) >= AsyncPercent,
    };
}
