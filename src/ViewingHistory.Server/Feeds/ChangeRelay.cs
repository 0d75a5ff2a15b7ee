using System.Text.Json;
using ViewingHistory.Pipeline;
using ViewingHistory.Queue;
using ViewingHistory.Server.Configuration;
using ViewingHistory.Server.Json;
using ViewingHistory.Store;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Server.Feeds;

/// <summary>
/// Relays the change feed to the queue engine's change stream (<see cref="IChangeStreamSink"/>; on JetStream the stream
/// <c>Feed:RelayStream</c>), one message per change, identified by its position. It tails the store's feed (the outbox)
/// from a position of its own, kept by the sink, and never runs in the processors' path: a slow or stopped relay
/// delays the stream, not the history. Changes are published one after another, so the stream holds them in position
/// order; a crash between publishing and saving the position republishes a page, which the sink stores once, as it
/// does the copies of a second relay running at once.
/// <para>
/// One change must never hold back every later one, nor be skipped: every publish is bounded in time by the sink, and a
/// change whose publish failed <see cref="AttemptsBeforeFallback"/> times in a row is published, with its position as
/// its id and its body unchanged, to the sink's unroutable destination instead, and logged as an error. If the stream
/// refuses that too, the fault is the stream's, not the change's, and the relay keeps retrying the same change as
/// before.
/// </para>
/// </summary>
internal sealed partial class ChangeRelay(
    StoreSet stores,
    IChangeStreamSink sink,
    StoreOptions store,
    FeedOptions options,
    TimeProvider time,
    ILogger<ChangeRelay> logger) : BackgroundService
{
    private const int PageSize = 1000;

    private readonly RetryLog _failures = new(logger, "Change relay", LogLevel.Warning, time);

    /// <summary>Failed publishes of one change before it goes to the unroutable destination.</summary>
    public const int AttemptsBeforeFallback = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var position = await sink.OpenAsync(store.ChangeRetention, stoppingToken);
                await RelayAsync(position, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The stream or the store is unreachable: start again from the saved position.
                _failures.Failed(ex, "starting again from the saved position in 1 s");
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task RelayAsync(long position, CancellationToken cancellationToken)
    {
        await stores.Primary.RegisterErasurePartAsync(ErasureParts.Relay, cancellationToken);
        _failures.Succeeded();
        LogStarted(sink.Name, position);
        var nextErasureCheck = time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            if (time.GetUtcNow() >= nextErasureCheck)
            {
                await PurgeErasedAsync(position, cancellationToken);
                nextErasureCheck = time.GetUtcNow() + TimeSpan.FromSeconds(1);
            }

            var page = await stores.Primary.ReadChangesAsync(position, PageSize, cancellationToken);
            if (page.Changes.Count == 0)
            {
                position = page.Next; // past a run of gaps (an erased member's left-out changes)
                await Task.Delay(options.RelayPollInterval, time, cancellationToken);
                continue;
            }

            foreach (var change in page.Changes)
            {
                await PublishAsync(change, cancellationToken);
            }

            position = page.Next;
            await sink.SavePositionAsync(position, cancellationToken);
        }
    }

    /// <summary>
    /// The stream's part of erasures: once the relay is past an erasure's feed position (everything up to it was
    /// published), the member's messages up to it are purged from the stream by subject and the relay reports clean.
    /// </summary>
    private async Task PurgeErasedAsync(long position, CancellationToken cancellationToken)
    {
        foreach (var erasure in await stores.Primary.ReadPendingErasuresAsync(ErasureParts.Relay, cancellationToken))
        {
            if (erasure.FeedPosition <= position)
            {
                await sink.PurgeMemberAsync(erasure.MemberId, erasure.FeedPosition, cancellationToken);
                await stores.Primary.MarkErasurePartCleanAsync(ErasureParts.Relay, erasure.MemberId, erasure.ErasedThroughMs, cancellationToken);
                LogPurged(erasure.MemberId, erasure.FeedPosition);
            }
        }
    }

    /// <summary>
    /// Retries the change in place (not from the saved position: the changes before it in the page would succeed
    /// again and hide that this one never does), then sends it to the unroutable destination. If that fails too, the
    /// exception ends the pass and the relay starts again from its saved position, as for any other fault.
    /// </summary>
    private async Task PublishAsync(ItemChange change, CancellationToken cancellationToken)
    {
        var dto = new ChangeDto(change.Position, change.MemberId, change.TitleId, change.Item is null ? null : ItemDto.From(change.Item));
        var payload = JsonSerializer.SerializeToUtf8Bytes(dto, ApiJsonContext.Default.ChangeDto);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await sink.PublishAsync(change.Position, change.MemberId, payload, cancellationToken);
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && attempt < AttemptsBeforeFallback)
            {
                LogRetrying(ex, change.Position, attempt);
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                await sink.PublishUnroutableAsync(change.Position, payload, cancellationToken);
                LogUnroutable(ex, change.Position, change.MemberId, sink.UnroutableDestination);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Change relay: purged the changes of erased member {MemberId} up to position {Position} from the stream")]
    private partial void LogPurged(string memberId, long position);

    [LoggerMessage(Level = LogLevel.Information, Message = "Change relay: publishing the change feed to stream {Stream} after position {Position}")]
    private partial void LogStarted(string stream, long position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change relay: publishing the change at position {Position} failed (attempt {Attempt}); trying again in 1 s")]
    private partial void LogRetrying(Exception exception, long position, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Change relay: the change at position {Position} (member {MemberId}) failed to publish on its member's subject again and again; it was published on {Subject} instead")]
    private partial void LogUnroutable(Exception exception, long position, string memberId, string subject);

}
