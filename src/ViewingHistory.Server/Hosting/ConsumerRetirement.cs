using ViewingHistory.Pipeline.Archive;
using ViewingHistory.Pipeline.Processing;
using ViewingHistory.Queue;

namespace ViewingHistory.Server.Hosting;

/// <summary>
/// At start, before any consumer opens, retires every queue consumer the service knows that this configuration does
/// not run: the shadow processor after leaving shadow mode, the archive when it is turned off (CONTRACT.md "Modes":
/// moving between modes strands nothing). On the embedded log a consumer that no longer runs but keeps its checkpoint
/// holds truncation back forever, until the log is full and every ingest answers 503.
/// </summary>
internal sealed partial class ConsumerRetirement(IEventQueue queue, IReadOnlySet<string> running, ILogger<ConsumerRetirement> logger) : IHostedService
{
    /// <summary>Every consumer a processor node may run.</summary>
    public static readonly IReadOnlyList<string> Known = [ProcessorHost.PrimaryConsumer, ProcessorHost.ShadowConsumer, ArchiveHost.ConsumerName];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var name in Known.Where(n => !running.Contains(n)))
        {
            try
            {
                if (await queue.RetireConsumerAsync(name, cancellationToken))
                {
                    LogRetired(name);
                }
            }
            catch (QueueUnavailableException ex)
            {
                // Only a shared queue can be unreachable, and its consumers hold nothing back: not worth failing the start.
                LogNotRetired(ex, name);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "The queue consumer '{Name}' is not run by this configuration: retired, it no longer holds the log's truncation back")]
    private partial void LogRetired(string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The queue consumer '{Name}' could not be retired now; the next start tries again")]
    private partial void LogNotRetired(Exception exception, string name);
}
