using System.Diagnostics;
using ViewingHistory.Core.Diagnostics;
using ViewingHistory.Queue;

namespace ViewingHistory.Pipeline.Observability;

/// <summary>
/// The processor's apply span. One apply serves many ingest requests, so it is not a child of any of them: it is a
/// root span with a link to the ingest span of each applied batch that carried one (<see cref="Core.Events.AcceptedBatch.Trace"/>).
/// </summary>
internal static class ApplyTracing
{
    /// <summary>Null, building nothing, unless a tracer listens.</summary>
    public static Activity? Start(string consumer, IReadOnlyList<QueueEntry> entries, int events)
    {
        if (!VhTracing.Source.HasListeners())
        {
            return null;
        }

        List<ActivityLink>? links = null;
        var unlinked = 0;
        foreach (var entry in entries)
        {
            if (entry.Batch?.Trace is not { } trace || trace == default)
            {
                continue;
            }

            if ((links ??= []).Count < VhTracing.MaxLinks)
            {
                links.Add(new ActivityLink(trace));
            }
            else
            {
                unlinked++;
            }
        }

        var activity = VhTracing.Source.StartActivity("apply " + consumer, ActivityKind.Consumer, parentContext: default, tags: null, links: links);
        if (activity is not null)
        {
            activity.SetTag("vh.consumer", consumer);
            activity.SetTag("vh.events", events);
            activity.SetTag("messaging.batch.message_count", entries.Count);
            if (unlinked > 0)
            {
                activity.SetTag("vh.links_dropped", unlinked);
            }
        }

        return activity;
    }
}
