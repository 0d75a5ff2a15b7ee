using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace ViewingHistory.Queue.JetStream;

/// <summary>The streams of a <see cref="JetStreamEventQueue"/>: how each is configured, and which exist already.</summary>
internal static class JetStreamStreams
{
    /// <summary>
    /// Batch stream <paramref name="index"/>: file storage, Limits retention (a second consumer, the archive, must read
    /// the same events), DiscardNew (a full stream refuses the publish, ingest answers 503, instead of dropping
    /// unprocessed events), <c>Queue:Replicas</c> replicas with the leader placed by JetStream. Every stream has the
    /// same limits: <c>Queue:StreamMaxBytes</c> and <c>Queue:MaxMsgs</c> bound each stream, not their sum.
    /// </summary>
    public static StreamConfig Batches(JetStreamQueueOptions options, int index)
    {
        var name = options.StreamNameOf(index);
        return new StreamConfig(name, [name + ".>"])
        {
            Storage = StreamConfigStorage.File,
            Retention = StreamConfigRetention.Limits,
            Discard = StreamConfigDiscard.New,
            NumReplicas = options.Replicas,
            MaxBytes = options.MaxBytes,
            MaxMsgs = options.MaxMsgs,
            MaxMsgsPerSubject = -1,
            MaxMsgSize = -1,
            MaxConsumers = -1,
            MaxAge = options.MaxAge,
            DuplicateWindow = options.DuplicateWindow,
        };
    }

    /// <summary>The one dead-letter stream of every batch stream: kept until purged.</summary>
    public static StreamConfig DeadLetters(JetStreamQueueOptions options) =>
        new(options.DlqStream, [options.DlqStream + ".>"])
        {
            Storage = StreamConfigStorage.File,
            Retention = StreamConfigRetention.Limits,
            Discard = StreamConfigDiscard.New,
            NumReplicas = options.Replicas,
            MaxBytes = -1,
            MaxMsgs = -1,
            MaxMsgsPerSubject = -1,
            MaxMsgSize = -1,
            MaxConsumers = -1,
            DuplicateWindow = options.DuplicateWindow,
        };

    /// <summary>
    /// The indexes at or past <c>Queue:Streams</c> of batch streams that exist: left by a deployment that ran with more
    /// streams. Nothing writes them any more; every node reads them so that nothing in them is stranded.
    /// </summary>
    public static async Task<IReadOnlyList<int>> LeftoverAsync(NatsJSContext js, JetStreamQueueOptions options, CancellationToken cancellationToken)
    {
        var found = new SortedSet<int>();
        await foreach (var name in js.ListStreamNamesAsync(cancellationToken: cancellationToken))
        {
            var index = StreamLayout.IndexOf(options.StreamName, name);
            if (index >= options.Streams)
            {
                found.Add(index);
            }
        }

        return [.. found];
    }
}
