using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ViewingHistory.Queue.Embedded;
using ViewingHistory.Queue.Spool;

namespace ViewingHistory.Queue.JetStream;

/// <summary>The JetStream queue's wiring: the one place it is configured.</summary>
public static class JetStreamQueueHostingExtensions
{
    /// <summary>
    /// Registers <see cref="JetStreamEventQueue"/> as the <see cref="IEventQueue"/>, with
    /// <see cref="JetStreamQueueOptions"/> bound from the <c>Queue</c> section (<c>Queue:Url</c>, <c>Queue:StreamName</c>,
    /// <c>Queue:AckWait</c>, ...) and validated at start, and the change feed's stream as the
    /// <see cref="IChangeStreamSink"/> (<see cref="JetStreamChangeSinkOptions"/> from the <c>Feed</c> section). With a
    /// <paramref name="spoolDirectory"/> (an ingest node) a local durable spool sits in front of the stream (DESIGN.md
    /// principle 6), bounded by <c>Queue:SpoolMaxBytes</c>, so a queue outage does not reach devices until it is full.
    /// The container disposes the queue and the sink on shutdown.
    /// </summary>
    public static IHostApplicationBuilder AddJetStreamQueue(this IHostApplicationBuilder builder, string? spoolDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<JetStreamQueueOptions>()
            .BindConfiguration(JetStreamQueueOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JetStreamQueueOptions>, JetStreamQueueOptionsValidator>());
        services.AddOptions<JetStreamChangeSinkOptions>()
            .BindConfiguration(JetStreamChangeSinkOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddSingleton<IChangeStreamSink>(sp => new JetStreamChangeSink(
            sp.GetRequiredService<IOptions<JetStreamQueueOptions>>().Value,
            sp.GetRequiredService<IOptions<JetStreamChangeSinkOptions>>().Value));
        if (spoolDirectory is null)
        {
            services.AddSingleton<IEventQueue>(sp => new JetStreamEventQueue(sp.GetRequiredService<IOptions<JetStreamQueueOptions>>().Value));
            return builder;
        }

        // Only the spool's bound is a setting: the rest of its shape follows from what it does (SpoolOptions).
        var spool = builder.Configuration.GetSection(JetStreamQueueOptions.Section).GetValue<long?>("SpoolMaxBytes") is { } maxBytes
            ? new SpoolOptions { MaxBytes = maxBytes }
            : new SpoolOptions();
        services.AddSingleton<IEventQueue>(sp => new SpoolingEventQueue(
            new JetStreamEventQueue(sp.GetRequiredService<IOptions<JetStreamQueueOptions>>().Value),
            new EmbeddedEventQueue(spool.LogOptions(spoolDirectory)),
            spool,
            sp.GetRequiredService<ILogger<SpoolingEventQueue>>()));
        return builder;
    }
}
