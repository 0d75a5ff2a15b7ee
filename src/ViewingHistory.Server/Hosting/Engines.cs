using ViewingHistory.Pipeline;
using ViewingHistory.Queue;
using ViewingHistory.Queue.Embedded;
using ViewingHistory.Queue.JetStream;
using ViewingHistory.Queue.Spool;
using ViewingHistory.Store.Postgres;
using ViewingHistory.Store.Sqlite;
using ViewingHistory.Server.Configuration;

namespace ViewingHistory.Server.Hosting;

/// <summary>Picks the real engine behind each seam from configuration (DESIGN.md principle 7).</summary>
public static class Engines
{
    /// <summary>
    /// The embedded log, or JetStream; an ingest node on JetStream puts a local durable spool in front of it
    /// (DESIGN.md principle 6), so a queue outage does not reach devices until the spool is full.
    /// </summary>
    public static IEventQueue CreateQueue(QueueOptions options, string dataDir, bool ingest, ILoggerFactory loggers) =>
        options.Kind.ToLowerInvariant() switch
        {
            "embedded" => new EmbeddedEventQueue(new EmbeddedQueueOptions
            {
                Directory = Path.Combine(dataDir, "queue"),
                MaxBytes = options.MaxBytes,
                CheckpointInterval = options.CheckpointInterval,
            }),
            "jetstream" when ingest => new SpoolingEventQueue(
                CreateJetStream(options),
                new EmbeddedEventQueue(SpoolOptionsFor(options, dataDir)),
                new SpoolOptions(),
                loggers.CreateLogger<SpoolingEventQueue>()),
            "jetstream" => CreateJetStream(options),
            _ => throw new InvalidOperationException($"Queue:Kind '{options.Kind}' is not one of embedded, jetstream."),
        };

    /// <summary>
    /// The spool's bound counts the bytes the log retains, and truncation frees them a page at a time below the
    /// forwarder: with the main queue's 4 MiB pages a spool bound of a few MiB would stay full after being forwarded.
    /// 1 MiB pages still hold the largest batch (500 events of 64-char ids encode to about 200 KB), and truncating
    /// every second frees the space soon after the queue is back.
    /// </summary>
    private static EmbeddedQueueOptions SpoolOptionsFor(QueueOptions options, string dataDir) => new()
    {
        Directory = Path.Combine(dataDir, "spool"),
        MaxBytes = options.SpoolMaxBytes,
        PageSizeBits = 20,
        MemorySizeBits = 23,
        SegmentSizeBits = 24,
        TruncateInterval = TimeSpan.FromSeconds(1),
    };

    private static JetStreamEventQueue CreateJetStream(QueueOptions options)
    {
        var defaults = new JetStreamQueueOptions();
        return new(defaults with
        {
            Url = options.Url,
            Replicas = options.Replicas,
            StreamName = options.StreamName,
            MaxAge = options.MaxAge,
            MaxBytes = options.StreamMaxBytes,
            AckWait = options.AckWait,
            Backoff = options.Backoff.Count > 0 ? options.Backoff : defaults.Backoff,
            MaxDeliver = options.MaxDeliver,
            MaxAckPending = options.MaxAckPending,
        });
    }

    public static StoreSet CreateStores(StoreOptions options, string dataDir, bool shadow, ILoggerFactory loggers) =>
        options.Kind.ToLowerInvariant() switch
        {
            "sqlite" => new StoreSet(
                new SqliteHistoryStore(Path.Combine(dataDir, "history.db")),
                shadow ? new SqliteHistoryStore(Path.Combine(dataDir, "history-shadow.db")) : null),
            "postgres" => new StoreSet(
                new PostgresHistoryStore(RequireConnectionString(options)),
                shadow ? new PostgresHistoryStore(RequireConnectionString(options), "vh_shadow") : null),
            _ => throw new InvalidOperationException($"Store:Kind '{options.Kind}' is not one of sqlite, postgres."),
        };

    private static string RequireConnectionString(StoreOptions options) =>
        options.ConnectionString is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException("Store:Kind=postgres needs Store:ConnectionString.");
}
