using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;

namespace ViewingHistory.Queue.JetStream;

/// <summary>
/// The change feed's JetStream stream: one message per change on <c>{prefix}.{token}</c> (the member id as a subject
/// token, <see cref="SubjectToken"/>), with <c>Nats-Msg-Id</c> = the position, so the stream's duplicate window drops a
/// page republished after a crash, or by a second relay running at once. The relay's position is kept in the KV
/// bucket <c>{stream}_RELAY</c>.
/// </summary>
public sealed class JetStreamChangeSink : IChangeStreamSink, IAsyncDisposable
{
    private const string PositionKey = "position";

    private readonly JetStreamQueueOptions _queue;
    private readonly JetStreamChangeSinkOptions _options;
    private readonly NatsConnection _connection;
    private readonly NatsJSContext _js;
    private INatsKVStore? _kv;

    public JetStreamChangeSink(JetStreamQueueOptions queue, JetStreamChangeSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(options);
        _queue = queue;
        _options = options;
        _connection = new NatsConnection(new NatsOpts
        {
            Url = queue.Url,
            Name = "viewing-history-change-relay",
            ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
            ReconnectWaitMax = TimeSpan.FromSeconds(1),
            MaxReconnectRetry = -1,
        });
        _js = new NatsJSContext(_connection);
    }

    /// <inheritdoc />
    public string Name => _options.RelayStream;

    /// <inheritdoc />
    public string UnroutableDestination => UnroutableSubject(_options.RelaySubjectPrefix);

    /// <summary>The subject of a change of <paramref name="memberId"/>.</summary>
    public static string SubjectFor(string prefix, string memberId) => prefix + "." + SubjectToken.Encode(memberId);

    /// <summary>Where a change goes that its member's subject did not take (two tokens: no member subject looks like it).</summary>
    public static string UnroutableSubject(string prefix) => prefix + ".relay.unroutable";

    /// <inheritdoc />
    public async Task<long> OpenAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        await _js.CreateOrUpdateStreamAsync(
            new StreamConfig(_options.RelayStream, [_options.RelaySubjectPrefix + ".>"])
            {
                Storage = StreamConfigStorage.File,
                Retention = StreamConfigRetention.Limits,
                // A feed with a retention: the oldest changes go first, as they do from the store's outbox.
                Discard = StreamConfigDiscard.Old,
                MaxAge = retention,
                NumReplicas = _queue.Replicas,
                // JetStream refuses a duplicate window longer than the stream's max age.
                DuplicateWindow = _options.RelayDuplicateWindow < retention ? _options.RelayDuplicateWindow : retention,
            },
            cancellationToken);
        var kv = await new NatsKVContext(_js).CreateOrUpdateStoreAsync(
            new NatsKVConfig(_options.RelayStream + "_RELAY") { History = 1, Storage = NatsKVStorageType.File, NumberOfReplicas = _queue.Replicas },
            cancellationToken);
        _kv = kv;
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

    /// <inheritdoc />
    public Task PublishAsync(long position, string memberId, byte[] payload, CancellationToken cancellationToken) =>
        PublishOnceAsync(SubjectFor(_options.RelaySubjectPrefix, memberId), payload, position, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// The same message id: a copy that did reach the stream before (an ack lost on the way) makes this publish a
    /// duplicate, and the position is stored once either way.
    /// </remarks>
    public Task PublishUnroutableAsync(long position, byte[] payload, CancellationToken cancellationToken) =>
        PublishOnceAsync(UnroutableDestination, payload, position, cancellationToken);

    /// <inheritdoc />
    public async Task SavePositionAsync(long position, CancellationToken cancellationToken)
    {
        var kv = _kv ?? throw new InvalidOperationException("The change stream is not open.");
        await kv.PutAsync(PositionKey, position.ToString(CultureInfo.InvariantCulture), cancellationToken: cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private async Task PublishOnceAsync(string subject, byte[] payload, long position, CancellationToken cancellationToken)
    {
        // Bounded, and the caller gets control back at the deadline whatever the client does: a publish the server
        // drops without an answer would otherwise wait forever, and the relay with it.
        var timeout = _options.RelayPublishTimeout;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        var publish = _js.PublishAsync(
            subject, payload, opts: new NatsJSPubOpts { MsgId = position.ToString(CultureInfo.InvariantCulture) }, cancellationToken: bounded.Token).AsTask();
        PubAckResponse ack;
        try
        {
            ack = await publish.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            _ = publish.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw;
        }
        catch (Exception) when (bounded.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The publish of the change at position {position} did not finish within {timeout.TotalSeconds:0.#} s.");
        }

        // A duplicate is a change published before a crash or by another relay: it is in the stream, as wanted.
        if (!ack.Duplicate)
        {
            ack.EnsureSuccess();
        }
    }
}
