using System.Text.Json;
using System.Text.Json.Serialization;

namespace ViewingHistory.Server.Json;

/// <summary>The answer to <c>DELETE /v1/members/{memberId}</c>: T and E.</summary>
internal sealed record ErasureAcceptedDto(string RequestedAt, string ErasedThrough);

/// <summary>The answer to <c>GET /v1/members/{memberId}/erasure</c>.</summary>
internal sealed record ErasureStatusDto(string RequestedAt, string ErasedThrough, string? CompletedAt, IReadOnlyList<string> Pending);

/// <summary>Source-generated serialization of the member-rights bodies (the export itself is written by hand, streamed).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ErasureAcceptedDto))]
[JsonSerializable(typeof(ErasureStatusDto))]
internal sealed partial class MemberRightsJsonContext : JsonSerializerContext;
