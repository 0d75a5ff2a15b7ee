using System.Globalization;
using System.Text.Json;
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
    /// <remarks>
    /// The member's subject holds only its changes, in position order: the first message past
    /// <paramref name="throughPosition"/> (found by walking the subject with direct gets, the position read from the
    /// message's body) is where the purge stops; JetStream's purge by subject removes every message before it.
    /// </remarks>
    public async Task PurgeMemberAsync(string memberId, long throughPosition, CancellationToken cancellationToken)
    {
        var subject = SubjectFor(_options.RelaySubjectPrefix, memberId);
        ulong? boundary = null;
        for (ulong seq = 1; ;)
        {
            var reply = await _connection.RequestAsync<byte[], byte[]>(
                "$JS.API.STREAM.MSG.GET." + _options.RelayStream, NextBySubject(seq, subject), cancellationToken: cancellationToken);
            using var doc = JsonDocument.Parse(reply.Data ?? []);
            if (doc.RootElement.TryGetProperty("error", out var error))
            {
                if (error.TryGetProperty("code", out var code) && code.GetInt32() == 404)
                {
                    break; // no message of the subject at or after seq
                }

                throw new InvalidOperationException($"JetStream refused a direct get on {_options.RelayStream}: {error.GetRawText()}");
            }

            var message = doc.RootElement.GetProperty("message");
            var found = message.GetProperty("seq").GetUInt64();
            using var body = JsonDocument.Parse(Convert.FromBase64String(message.GetProperty("data").GetString() ?? ""));
            if (body.RootElement.GetProperty("position").GetInt64() > throughPosition)
            {
                boundary = found;
                break;
            }

            seq = found + 1;
        }

        // Seq 0 is "not set": the whole subject.
        await _js.PurgeStreamAsync(_options.RelayStream, new StreamPurgeRequest { Filter = subject, Seq = boundary ?? 0 }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private static byte[] NextBySubject(ulong seq, string subject)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("seq", seq);
            writer.WriteString("next_by_subj", subject);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

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
