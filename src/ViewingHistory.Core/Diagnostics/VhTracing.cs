using System.Diagnostics;

namespace ViewingHistory.Core.Diagnostics;

/// <summary>
/// The service's own spans (ingest, the processor's apply, SQLite transactions), exported with the ASP.NET Core, Npgsql
/// and NATS.Net spans when tracing is on (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>). With no listener,
/// <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null without allocating, and the queue
/// carries no trace context: ingest pays nothing.
/// </summary>
public static class VhTracing
{
    public const string SourceName = "ViewingHistory";

    /// <summary>The W3C <c>traceparent</c> of the ingest span, in a header of each JetStream message (NATS.Net's own <c>traceparent</c> is its publish span's).</summary>
    public const string IngestTraceHeader = "Vh-Ingest-Traceparent";

    /// <summary>Spans beyond this many links are not linked (the OpenTelemetry SDK's default limit); the apply span counts them.</summary>
    public const int MaxLinks = 128;

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>The context to carry with a batch through the queue: the current span's where it is recorded, else none.</summary>
    public static ActivityContext CurrentRecorded() => Activity.Current is { Recorded: true } current ? current.Context : default;

    /// <summary>A <c>traceparent</c> header value (version 00).</summary>
    public static string TraceParent(ActivityContext context) =>
        $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{((context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}";

    /// <summary>Parses a <c>traceparent</c>; default where it is missing or malformed (a bad header never fails a delivery).</summary>
    public static ActivityContext ParseTraceParent(string? value) =>
        value is { Length: > 0 } && ActivityContext.TryParse(value, null, isRemote: true, out var context) ? context : default;
}
