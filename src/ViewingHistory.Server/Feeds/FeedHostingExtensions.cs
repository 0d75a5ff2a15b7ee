using ViewingHistory.Pipeline.Processing;
using Microsoft.Extensions.Options;
using ViewingHistory.Pipeline.Archive;
using ViewingHistory.Pipeline.Erasure;
using ViewingHistory.Queue;
using ViewingHistory.Server.Configuration;
using ViewingHistory.Server.Hosting;

namespace ViewingHistory.Server.Feeds;

/// <summary>The wiring of what downstream consumers read: change feed upkeep and relay, and the Parquet archive.</summary>
internal static class FeedHostingExtensions
{
    /// <summary>
    /// Everything here runs on processor nodes, which reach both the queue and the store, and never in the ingest
    /// path: the archive is a queue consumer of its own and the relay tails the store's outbox. Call it after the
    /// engines are added: the relay runs where the queue engine registered an <see cref="IChangeStreamSink"/>.
    /// </summary>
    public static IServiceCollection AddDownstreamFeeds(
        this IServiceCollection services, IConfiguration configuration, ServiceOptions service)
    {
        var feed = configuration.GetSection(FeedOptions.Section).Get<FeedOptions>() ?? new FeedOptions();
        services.AddSingleton(feed);
        services.AddOptions<ArchiveOptions>().BindConfiguration(ArchiveOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var erasure = configuration.GetSection(ErasureOptions.Section).Get<ErasureOptions>() ?? new ErasureOptions();
        services.AddSingleton(erasure);
        if (!service.Roles.HasFlag(ServiceRoles.Processor))
        {
            return services;
        }

        services.AddHostedService<ChangeRetentionService>();
        services.AddHostedService<ErasurePurgeService>();
        // Only an engine that offers a change stream registers a sink (JetStream does; the embedded queue does not).
        var relay = feed.RelayEnabled && services.Any(d => d.ServiceType == typeof(IChangeStreamSink));
        if (relay)
        {
            services.AddHostedService<ChangeRelay>();
        }

        // With the archive off, ConsumerRetirement retires its consumer left from earlier runs, and ErasurePartRetirement
        // its erasure part.
        var archive = configuration.GetSection(ArchiveOptions.Section).Get<ArchiveOptions>() ?? new ArchiveOptions();
        var archiveRoot = archive.Path is { Length: > 0 } configured ? configured : Path.Combine(service.DataDir, "archive");
        services.AddSingleton(new RunningErasureParts(relay, archive.Enabled ? Path.GetFullPath(archiveRoot) : null));
        services.AddHostedService<ErasurePartRetirement>();
        if (archive.Enabled)
        {
            services.AddHostedService(sp =>
            {
                var options = sp.GetRequiredService<IOptions<ArchiveOptions>>().Value;
                return new ArchiveHost(
                    sp.GetRequiredService<IEventQueue>(),
                    options,
                    archiveRoot,
                    new ArchiveMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
                    sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<ConsumptionControl>(),
                    sp.GetRequiredService<ILoggerFactory>(),
                    sp.GetRequiredService<ViewingHistory.Pipeline.StoreSet>().Primary,
                    erasure);
            });
        }

        return services;
    }
}
