using ViewingHistory.Pipeline.Processing;
using Microsoft.Extensions.Options;
using ViewingHistory.Pipeline.Archive;
using ViewingHistory.Queue;
using ViewingHistory.Server.Configuration;

namespace ViewingHistory.Server.Feeds;

/// <summary>The wiring of what downstream consumers read: change feed upkeep and relay, and the Parquet archive.</summary>
public static class FeedHostingExtensions
{
    /// <summary>
    /// Everything here runs on processor nodes, which reach both the queue and the store, and never in the ingest
    /// path: the archive is a queue consumer of its own and the relay tails the store's outbox.
    /// </summary>
    public static IServiceCollection AddDownstreamFeeds(
        this IServiceCollection services, IConfiguration configuration, ServiceOptions service, QueueOptions queue, ServiceRoles roles)
    {
        var feed = configuration.GetSection(FeedOptions.Section).Get<FeedOptions>() ?? new FeedOptions();
        services.AddSingleton(feed);
        services.AddOptions<ArchiveOptions>().BindConfiguration(ArchiveOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (!roles.HasFlag(ServiceRoles.Processor))
        {
            return services;
        }

        services.AddHostedService<ChangeRetentionService>();
        if (feed.RelayEnabled && queue.Kind.Equals("jetstream", StringComparison.OrdinalIgnoreCase))
        {
            services.AddHostedService<ChangeRelay>();
        }

        // With the archive off, ConsumerRetirement retires its consumer left from earlier runs.
        if (configuration.GetSection(ArchiveOptions.Section).Get<ArchiveOptions>() is not { Enabled: false })
        {
            services.AddHostedService(sp =>
            {
                var options = sp.GetRequiredService<IOptions<ArchiveOptions>>().Value;
                return new ArchiveHost(
                    sp.GetRequiredService<IEventQueue>(),
                    options,
                    options.Path is { Length: > 0 } path ? path : Path.Combine(service.DataDir, "archive"),
                    new ArchiveMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
                    sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<ConsumptionControl>(),
                    sp.GetRequiredService<ILoggerFactory>());
            });
        }

        return services;
    }
}
