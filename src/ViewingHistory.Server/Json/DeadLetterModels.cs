using System.Text.Json;
using System.Text.Json.Serialization;
using ViewingHistory.Core.Diagnostics;
using ViewingHistory.Core.Events;
using ViewingHistory.Queue;

namespace ViewingHistory.Server.Json;

/// <summary>One dead letter as the admin API shows it: everything but the payload, which only a replay needs.</summary>
internal sealed record DeadLetterDto(string Id, string Reason, string FailedAt, int EventCount, int PayloadBytes)
{
    // The reason is the exception's message as it was recorded: useful, but it may name files, hosts or credentials.
    public static DeadLetterDto From(DeadLetter letter) =>
        new(letter.Id, Redaction.ForClients(letter.Reason), Timestamps.Format(letter.FailedAtMs), letter.EventCount, letter.Payload.Length);
}

/// <summary><c>GET /v1/admin/dead-letters</c>: the oldest dead letters first, and how many are held in all.</summary>
internal sealed record DeadLetterListDto(IReadOnlyList<DeadLetterDto> DeadLetters, long Count);

internal sealed record DeadLetterReplayedDto(int Replayed);

internal sealed record DeadLetterPurgedDto(int Purged);

/// <summary>Its own context (not <see cref="ApiJsonContext"/>): admin bodies are off the hot path and evolve separately.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(DeadLetterListDto))]
[JsonSerializable(typeof(DeadLetterReplayedDto))]
[JsonSerializable(typeof(DeadLetterPurgedDto))]
internal sealed partial class DeadLetterJsonContext : JsonSerializerContext;
