using System.Text.Json;
using System.Text.Json.Serialization;
using ViewingHistory.Server.Endpoints;

namespace ViewingHistory.Server.Json;

/// <summary>Source-generated serialization for every body the API writes (no reflection on the hot path).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(IngestAccepted))]
[JsonSerializable(typeof(LiveDto))]
[JsonSerializable(typeof(ItemDto))]
[JsonSerializable(typeof(HistoryPageDto))]
[JsonSerializable(typeof(ChangesDto))]
[JsonSerializable(typeof(ReadinessDto))]
[JsonSerializable(typeof(CompareRequest))]
[JsonSerializable(typeof(CompareResponse))]
[JsonSerializable(typeof(AdminStatusDto))]
[JsonSerializable(typeof(ConsumptionDto))]
[JsonSerializable(typeof(ProblemError[]))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
