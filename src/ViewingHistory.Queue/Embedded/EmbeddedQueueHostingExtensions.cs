using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ViewingHistory.Queue.Embedded;

/// <summary>The embedded queue's wiring: the one place it is configured.</summary>
public static class EmbeddedQueueHostingExtensions
{
    /// <summary>
    /// Registers <see cref="EmbeddedEventQueue"/> as the <see cref="IEventQueue"/>, its log in <paramref name="directory"/>,
    /// with <see cref="EmbeddedQueueOptions"/> bound from the <c>Queue</c> section (<c>Queue:MaxBytes</c>,
    /// <c>Queue:CheckpointInterval</c>, ...) and validated at start. The container disposes the queue on shutdown.
    /// </summary>
    public static IHostApplicationBuilder AddEmbeddedQueue(this IHostApplicationBuilder builder, string directory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        builder.Services.AddOptions<EmbeddedQueueOptions>()
            .BindConfiguration(EmbeddedQueueOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.DeadLetterMaxAge is not { } age || age > TimeSpan.Zero, "Queue:DeadLetterMaxAge must be positive (leave it unset to keep dead letters until replayed or purged).")
            // FasterLog's own checks of these fail inside the host's start, after the warm-up, as a stack trace.
            .Validate(o => o.PageSizeBits is >= 18 and <= 30, "Queue:PageSizeBits must be from 18 to 30 (a page must hold the contract's largest batch).")
            .Validate(o => o.MemorySizeBits >= o.PageSizeBits && o.MemorySizeBits <= 40, "Queue:MemorySizeBits must be from Queue:PageSizeBits to 40.")
            .Validate(o => o.SegmentSizeBits >= o.PageSizeBits && o.SegmentSizeBits <= 40, "Queue:SegmentSizeBits must be from Queue:PageSizeBits to 40.")
            .ValidateOnStart();

        // The directory follows the server's data directory, not a setting of the section.
        builder.Services.AddSingleton<IEventQueue>(sp =>
            new EmbeddedEventQueue(sp.GetRequiredService<IOptions<EmbeddedQueueOptions>>().Value with { Directory = directory }));
        return builder;
    }
}
