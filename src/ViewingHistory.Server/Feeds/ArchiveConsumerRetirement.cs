using ViewingHistory.Pipeline.Archive;
using ViewingHistory.Queue;
using ViewingHistory.Queue.Embedded;

namespace ViewingHistory.Server.Feeds;

/// <summary>
/// With the archive turned off, forgets the embedded log's "archive" consumer left from earlier runs: a registered
/// consumer holds truncation back whether or not it runs, so the log would otherwise grow without bound.
/// (A JetStream consumer holds nothing back: the stream's limits, not its consumers, decide what it keeps.)
/// </summary>
public sealed partial class ArchiveConsumerRetirement(IEventQueue queue, ILogger<ArchiveConsumerRetirement> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (queue is EmbeddedEventQueue embedded && embedded.RemoveConsumer(ArchiveHost.ConsumerName))
        {
            LogRetired(ArchiveHost.ConsumerName);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Archive disabled: the queue consumer '{Name}' is removed and no longer holds the embedded log's truncation back")]
    private partial void LogRetired(string name);
}
