using Npgsql;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using ViewingHistory.Core.Diagnostics;

namespace ViewingHistory.Server.Hosting;

/// <summary>
/// OpenTelemetry tracing, exported over OTLP, and only when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set
/// (with <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_SERVICE_NAME</c> and the SDK's other variables as the exporter
/// reads them): without it nothing listens to any ActivitySource, so no span is created anywhere and the queue carries
/// no trace context. Spans: one per request (ASP.NET Core; not the scrapes of /metrics and /health), ingest, NATS.Net's
/// publish and receive, the processor's apply (linked to the ingest spans of its batches), Npgsql's commands and the
/// SQLite transactions.
/// </summary>
internal static class TracingHostingExtensions
{
    public const string EndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The ActivitySource of NATS.Net (NATS.Client.Core's <c>Telemetry</c>).</summary>
    public const string NatsSource = "NATS.Net";

    public static bool Enabled(IConfiguration configuration) => configuration[EndpointSetting] is { Length: > 0 };

    public static WebApplicationBuilder AddTracing(this WebApplicationBuilder builder)
    {
        if (!Enabled(builder.Configuration))
        {
            return builder;
        }

        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : "viewing-history";
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing => tracing
                .AddSource(VhTracing.SourceName, NatsSource)
                .AddAspNetCoreInstrumentation(o => o.Filter = http =>
                    !http.Request.Path.StartsWithSegments("/metrics", StringComparison.Ordinal) &&
                    !http.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal))
                .AddNpgsql()
                .AddOtlpExporter());
        return builder;
    }
}
