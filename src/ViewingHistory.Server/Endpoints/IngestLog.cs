namespace ViewingHistory.Server.Endpoints;

/// <summary>The ingest endpoint's log entries.</summary>
internal static partial class IngestLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest: answered 503 (trace {TraceId}); the batch was not promised")]
    public static partial void EngineUnavailable(ILogger logger, Exception exception, string traceId);
}
