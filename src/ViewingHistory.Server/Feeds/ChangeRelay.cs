using System.Globalization;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using ViewingHistory.Pipeline;
using ViewingHistory.Server.Configuration;
using ViewingHistory.Server.Json;
using ViewingHistory.Store;

namespace ViewingHistory.Server.Feeds;

/// <summary>
/// Publishes the change feed to the JetStream stream <see cref="FeedOptions.RelayStream"/>, one message per change on
/// <c>{prefix}.{token}</c> (the member id as a subject token, <see cref="SubjectToken"/>), with <c>Nats-Msg-Id</c> =
/// the position. It tails the store's feed (the outbox) from a
/// position of its own, kept in the KV bucket <c>{stream}_RELAY</c>, and never runs in the processors' path: a slow
/// or stopped relay delays the stream, not the history. Changes are published one after another, so the stream holds
/// them in position order; a crash between publishing and saving the position republishes a page, which the stream's
/// duplicate window drops, as it drops the copies of a second relay running at once.
/// <para>
/// One change must never hold back every later one, nor be skipped: every publish is bounded by
/// <see cref="FeedOptions.RelayPublishTimeout"/>, and a change whose publish failed
/// <see cref="AttemptsBeforeFallback"/> times in a row is published, with its position as its id and its body
/// unchanged, on <c>{prefix}.relay.unroutable</c> instead, and logged as an error. That subject has two tokens, so it
/// can be no member's. If the stream refuses that too, the fault is the stream's, not the change's, and the relay
/// keeps retrying the same change as before.
/// </para>
/// </summary>
public sealed partial class ChangeRelay(
    StoreSet stores,
    QueueOptions queue,
    StoreOptions store,
    FeedOptions options,
    TimeProvider time,
    ILogger<ChangeRelay> logger) : BackgroundService
{
    private const string PositionKey = "position";
    private const int PageSize = 1000;

    /// <summary>Failed publishes of one change before it goes to the unroutable subject.</summary>
    public const int AttemptsBeforeFallback = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var connection = new NatsConnection(new NatsOpts
        {
            Url = queue.Url,
            Name = "viewing-history-change-relay",
            ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
            ReconnectWaitMax = TimeSpan.FromSeconds(1),
            MaxReconnectRetry = -1,
        });
        var js = new NatsJSContext(connection);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var kv = await SetUpAsync(js, stoppingToken);
                await RelayAsync(js, kv, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // NATS or the store is unreachable: start again from the saved position.
                LogFailed(ex);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task<INatsKVStore> SetUpAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        await js.CreateOrUpdateStreamAsync(
            new StreamConfig(options.RelayStream, [options.RelaySubjectPrefix + ".>"])
            {
                Storage = StreamConfigStorage.File,
                Retention = StreamConfigRetention.Limits,
                // A feed with a retention: the oldest changes go first, as they do from the store's outbox.
                Discard = StreamConfigDiscard.Old,
                MaxAge = store.ChangeRetention,
                NumReplicas = queue.Replicas,
                // JetStream refuses a duplicate window longer than the stream's max age.
                DuplicateWindow = options.RelayDuplicateWindow < store.ChangeRetention ? options.RelayDuplicateWindow : store.ChangeRetention,
            },
            cancellationToken);
        var kv = new NatsKVContext(js);
        return await kv.CreateOrUpdateStoreAsync(
            new NatsKVConfig(options.RelayStream + "_RELAY") { History = 1, Storage = NatsKVStorageType.File, NumberOfReplicas = queue.Replicas },
            cancellationToken);
    }

    private async Task RelayAsync(NatsJSContext js, INatsKVStore kv, CancellationToken cancellationToken)
    {
        var position = await ReadPositionAsync(kv, cancellationToken);
        LogStarted(options.RelayStream, position);
        while (!cancellationToken.IsCancellationRequested)
        {
            var page = await stores.Primary.ReadChangesAsync(position, PageSize, cancellationToken);
            if (page.Changes.Count == 0)
            {
                await Task.Delay(options.RelayPollInterval, time, cancellationToken);
                continue;
            }

            foreach (var change in page.Changes)
            {
                await PublishAsync(js, change, cancellationToken);
            }

            position = page.Next;
            await kv.PutAsync(PositionKey, position.ToString(CultureInfo.InvariantCulture), cancellationToken: cancellationToken);
        }
    }

    private static async Task<long> ReadPositionAsync(INatsKVStore kv, CancellationToken cancellationToken)
    {
        try
        {
            var entry = await kv.GetEntryAsync<string>(PositionKey, cancellationToken: cancellationToken);
            return long.Parse(entry.Value!, CultureInfo.InvariantCulture);
        }
        catch (NatsKVKeyNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>The subject of a change of <paramref name="memberId"/>.</summary>
    internal static string SubjectFor(string prefix, string memberId) => prefix + "." + SubjectToken.Encode(memberId);

    /// <summary>Where a change goes that its member's subject did not take (two tokens: no member subject looks like it).</summary>
    internal static string UnroutableSubject(string prefix) => prefix + ".relay.unroutable";

    /// <summary>
    /// Retries the change in place (not from the saved position: the changes before it in the page would succeed
    /// again and hide that this one never does), then sends it to the unroutable subject. If that fails too, the
    /// exception ends the pass and the relay starts again from its saved position, as for any other fault.
    /// </summary>
    private async Task PublishAsync(NatsJSContext js, ItemChange change, CancellationToken cancellationToken)
    {
        var dto = new ChangeDto(change.Position, change.MemberId, change.TitleId, change.Item is null ? null : ItemDto.From(change.Item));
        var payload = JsonSerializer.SerializeToUtf8Bytes(dto, ApiJsonContext.Default.ChangeDto);
        var msgId = change.Position.ToString(CultureInfo.InvariantCulture);
        var subject = SubjectFor(options.RelaySubjectPrefix, change.MemberId);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await PublishOnceAsync(js, subject, payload, msgId, cancellationToken);
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && attempt < AttemptsBeforeFallback)
            {
                LogRetrying(ex, change.Position, attempt);
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // The same message id: a copy that did reach the stream before (an ack lost on the way) makes this
                // publish a duplicate, and the position is stored once either way.
                var unroutable = UnroutableSubject(options.RelaySubjectPrefix);
                await PublishOnceAsync(js, unroutable, payload, msgId, cancellationToken);
                LogUnroutable(ex, change.Position, change.MemberId, unroutable);
                return;
            }
        }
    }

    private async Task PublishOnceAsync(NatsJSContext js, string subject, byte[] payload, string msgId, CancellationToken cancellationToken)
    {
        // Bounded: a publish the server drops without an answer would otherwise wait forever, and the relay with it.
        var ack = await Deadline.RunAsync(
            ct => js.PublishAsync(subject, payload, opts: new NatsJSPubOpts { MsgId = msgId }, cancellationToken: ct).AsTask(),
            options.RelayPublishTimeout,
            cancellationToken);

        // A duplicate is a change published before a crash or by another relay: it is in the stream, as wanted.
        if (!ack.Duplicate)
        {
            ack.EnsureSuccess();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Change relay: publishing the change feed to stream {Stream} after position {Position}")]
    private partial void LogStarted(string stream, long position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change relay: publishing the change at position {Position} failed (attempt {Attempt}); trying again in 1 s")]
    private partial void LogRetrying(Exception exception, long position, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Change relay: the change at position {Position} (member {MemberId}) failed to publish on its member's subject again and again; it was published on {Subject} instead")]
    private partial void LogUnroutable(Exception exception, long position, string memberId, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change relay: failed; starting again from the saved position in 1 s")]
    private partial void LogFailed(Exception exception);
}
