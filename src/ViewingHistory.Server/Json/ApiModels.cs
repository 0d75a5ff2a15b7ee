using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;

namespace ViewingHistory.Server.Json;

/// <summary>The answer to an accepted ingest request.</summary>
internal sealed record IngestAccepted(int Accepted);

/// <summary>An item as the contract shows it.</summary>
internal sealed record ItemDto(string TitleId, string LastWatchedAt, long PositionMs, long DurationMs, double Progress, bool Completed, int Sessions)
{
    public static ItemDto From(HistoryItem item) => new(
        item.TitleId, Timestamps.Format(item.LastWatchedAtMs), item.PositionMs, item.DurationMs, item.Progress4, item.Completed, item.Sessions);
}

internal sealed record HistoryPageDto(IReadOnlyList<ItemDto> Items, string? NextCursor);

internal sealed record ChangeDto(long Position, string MemberId, string TitleId, ItemDto? Item);

internal sealed record ChangesDto(IReadOnlyList<ChangeDto> Changes, long Next);

/// <summary>What to compare: some members, or all.</summary>
internal sealed record CompareRequest(IReadOnlyList<string>? Members, bool All, int? SettleSeconds);

internal sealed record MismatchDto(string MemberId, string TitleId, ItemDto? Sync, ItemDto? Shadow);

/// <summary>The comparison's outcome; at most 1,000 mismatches are listed, <c>mismatched</c> counts them all.</summary>
internal sealed record CompareResponse(int MembersCompared, int ItemsCompared, int Mismatched, IReadOnlyList<MismatchDto> Mismatches);
internal sealed record EngineStatusDto(string Kind, bool? Healthy);

internal sealed record AdminStatusDto(string Mode, int AsyncPercent, IReadOnlyList<string> Roles, EngineStatusDto Queue, EngineStatusDto Store, string Consumption, ReadinessDto Readiness, ConfigurationStatusDto Configuration);

/// <summary>The answer of <c>POST /v1/admin/consumption/pause|resume</c>: the state now (<c>paused</c> or <c>running</c>).</summary>
internal sealed record ConsumptionDto(string Consumption);
