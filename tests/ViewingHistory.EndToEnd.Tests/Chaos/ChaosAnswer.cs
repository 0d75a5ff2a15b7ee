using System.Net;

namespace ViewingHistory.EndToEnd.Tests.Chaos;

/// <summary>What one request of a chaos writer got back.</summary>
internal sealed record ChaosAnswer(HttpStatusCode Status, string Body, TimeSpan? RetryAfter);
