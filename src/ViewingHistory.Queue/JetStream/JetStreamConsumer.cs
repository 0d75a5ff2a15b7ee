using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Polly.Timeout;
using ViewingHistory.Core.Diagnostics;
using ViewingHistory.Core.Serialization;

namespace ViewingHistory.Queue.JetStream;

/// <summary>
/// A durable pull consumer of the batch stream. Every instance with the same name, in any process, pulls from the
/// same server-side consumer, so they compete for messages; each message (one batch) goes to one of them at a
/// time and comes back after the ack wait if it is not acknowledged.
/// </summary>
public sealed class JetStreamConsumer : IQueueConsumer
{
    private static readonly TimeSpan MinPullExpiry = TimeSpan.FromSeconds(1);
    private readonly JetStreamEventQueue _queue;
    private readonly string _durableName;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private INatsJSConsumer? _consumer;
    private long _lagEvents;

    internal JetStreamConsumer(JetStreamEventQueue queue, string durableName)
    {
        _queue = queue;
        _durableName = durableName;
    }

    /// <summary>
    /// Messages pending or awaiting acknowledgement times the events per message seen so far; refreshed every
    /// <see cref="JetStreamQueueOptions.StatsRefreshInterval"/>, not on every receive.
    /// </summary>
    public long LagEvents => Interlocked.Read(ref _lagEvents);

    /// <inheritdoc />
    public int? MaxDeliveries => _queue.Options.MaxDeliver;

    /// <inheritdoc />
    public async ValueTask<QueueDelivery> ReceiveAsync(int maxEvents, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var consumer = await EnsureConsumerAsync(cancellationToken);
        var messages = new List<INatsJSMsg<byte[]>>();
        var events = 0;
        try
        {
            events += await FetchAvailableAsync(consumer, messages, maxEvents, cancellationToken);
            if (messages.Count == 0 && maxWait >= MinPullExpiry)
            {
                // Wait for the first message only, then take whatever else is there: a batch never waits for more.
                if (await WaitForOneAsync(consumer, messages, maxWait, cancellationToken))
                {
                    events += Count(messages[0]);
                    events += await FetchAvailableAsync(consumer, messages, maxEvents - events, cancellationToken);
                }
            }
            else if (messages.Count == 0 && maxWait > TimeSpan.Zero)
            {
                // The client refuses pulls that expire in under a second, and cancelling a pending pull early can
                // leave a message delivered to nobody until its ack wait passes: poll without waiting instead.
                var deadline = DateTime.UtcNow + maxWait;
                while (messages.Count == 0 && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50, Math.Max(1, (deadline - DateTime.UtcNow).TotalMilliseconds))), cancellationToken);
                    events += await FetchAvailableAsync(consumer, messages, maxEvents, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            // The consumer may have been deleted or the server lost: find or create it again on the next call.
            _consumer = null;
            if (messages.Count == 0)
            {
                throw new QueueUnavailableException($"Could not fetch from consumer {_durableName}: {ex.Message}", ex);
            }

            // Hand out what did arrive: dropping it would only delay it by an ack wait.
        }

        if (messages.Count == 0)
        {
            return QueueDelivery.Empty;
        }

        var entries = new QueueEntry[messages.Count];
        var eventCount = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            entries[i] = ToEntry(messages[i]);
            eventCount += entries[i].Batch?.Events.Count ?? 0;
        }

        _queue.CountSeen(eventCount, messages.Count);
        return new QueueDelivery(entries, messages);
    }

    /// <inheritdoc />
    public async ValueTask AckAsync(QueueDelivery delivery, CancellationToken cancellationToken)
    {
        // Double acks: the server confirms each one, so a completed ack is known not to be redelivered.
        var ackOpts = new AckOpts { DoubleAck = true };
        await ForEachAsync(delivery, msg => msg.AckAsync(ackOpts, cancellationToken), "acknowledge");
    }

    /// <inheritdoc />
    public ValueTask KeepAliveAsync(QueueDelivery delivery, CancellationToken cancellationToken) =>
        ForEachAsync(delivery, msg => msg.AckProgressAsync(cancellationToken: cancellationToken), "extend");

    public ValueTask DisposeAsync()
    {
        _queue.Forget(this);
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }

    internal async Task RefreshLagAsync(CancellationToken cancellationToken)
    {
        var consumer = _consumer;
        if (consumer is null)
        {
            return;
        }

        try
        {
            await consumer.RefreshAsync(cancellationToken);
            var info = consumer.Info;
            var messages = (double)info.NumPending + info.NumAckPending;
            Interlocked.Exchange(ref _lagEvents, (long)Math.Round(messages * _queue.EventsPerMessage));
        }
        catch (NatsException)
        {
            // An estimate: keep the last value while the server is unreachable.
        }
    }

    private async ValueTask<INatsJSConsumer> EnsureConsumerAsync(CancellationToken cancellationToken)
    {
        if (_consumer is { } existing)
        {
            return existing;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_consumer is { } created)
            {
                return created;
            }

            var o = _queue.Options;
            var config = new ConsumerConfig(_durableName)
            {
                DurableName = _durableName,
                AckPolicy = ConsumerConfigAckPolicy.Explicit,
                DeliverPolicy = ConsumerConfigDeliverPolicy.All,
                AckWait = o.AckWait,
                MaxDeliver = o.MaxDeliver,
                MaxAckPending = o.MaxAckPending,
                FilterSubject = o.BatchSubject,
            };
            if (o.EffectiveBackoff.Count > 0)
            {
                config.Backoff = [.. o.EffectiveBackoff];
            }

            try
            {
                // Create-or-update with the same config from every instance is idempotent on the server. Retried:
                // right after a node restarts or a leader moves, the API may not answer for a few seconds.
                _consumer = await _queue.Retry.ExecuteAsync(
                    (cfg, ct) => _queue.JetStream.CreateOrUpdateConsumerAsync(o.StreamName, cfg, ct),
                    config,
                    cancellationToken);
            }
            catch (Exception ex) when (ex is NatsException or TimeoutRejectedException)
            {
                throw new QueueUnavailableException($"Could not create consumer {_durableName}: {ex.Message}", ex);
            }

            await RefreshLagAsync(cancellationToken);
            return _consumer;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A long pull for one message; true when one came.</summary>
    private static async Task<bool> WaitForOneAsync(INatsJSConsumer consumer, List<INatsJSMsg<byte[]>> into, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // The server ends the pull at its expiry; this is only a guard for a pull lost in a reconnect.
        wait.CancelAfter(maxWait + TimeSpan.FromSeconds(2));
        try
        {
            await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1, Expires = maxWait }, cancellationToken: wait.Token))
            {
                into.Add(msg);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        return into.Count > 0;
    }

    /// <summary>Takes messages that are available now, without waiting, until about <paramref name="maxEvents"/> events.</summary>
    private async Task<int> FetchAvailableAsync(INatsJSConsumer consumer, List<INatsJSMsg<byte[]>> into, int maxEvents, CancellationToken cancellationToken)
    {
        var events = 0;
        while (events < maxEvents)
        {
            var want = (int)Math.Clamp(Math.Ceiling((maxEvents - events) / _queue.EventsPerMessage), 1, _queue.Options.MaxAckPending);
            var got = 0;

            // A no-wait pull has no expiry of its own: while the connection is down it would wait for the reconnect.
            using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            guard.CancelAfter(_queue.Options.PublishAttemptTimeout);
            try
            {
                await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = want }, cancellationToken: guard.Token))
                {
                    into.Add(msg);
                    events += Count(msg);
                    got++;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No answer to a pull within {_queue.Options.PublishAttemptTimeout.TotalSeconds:0.#} s.");
            }

            if (got < want)
            {
                break;
            }
        }

        return events;
    }

    private static int Count(INatsJSMsg<byte[]> msg)
    {
        // From the header alone: a full decode happens once, in ToEntry.
        return EventBatchCodec.TryReadEventCount(msg.Data, out var count) ? count : 0;
    }

    private static QueueEntry ToEntry(INatsJSMsg<byte[]> msg)
    {
        var payload = msg.Data ?? [];
        var id = msg.Headers is { } h && h.TryGetValue("Nats-Msg-Id", out var msgId) && msgId.Count > 0
            ? msgId.ToString()
            : "seq:" + msg.Metadata?.Sequence.Stream;
        var deliveries = (int)Math.Min(int.MaxValue, msg.Metadata?.NumDelivered ?? 1);
        try
        {
            var batch = EventBatchCodec.Decode(payload);
            if (msg.Headers is { } headers && headers.TryGetValue(VhTracing.IngestTraceHeader, out var trace))
            {
                batch = batch with { Trace = VhTracing.ParseTraceParent(trace.ToString()) };
            }

            return new QueueEntry(id, batch, payload, deliveries, null);
        }
        catch (FormatException ex)
        {
            return new QueueEntry(id, null, payload, deliveries, ex.Message);
        }
    }

    private async ValueTask ForEachAsync(QueueDelivery delivery, Func<INatsJSMsg<byte[]>, ValueTask> action, string what)
    {
        if (delivery.Token is not IReadOnlyList<INatsJSMsg<byte[]>> messages)
        {
            if (delivery.Entries.Count == 0)
            {
                return;
            }

            throw new ArgumentException("The delivery did not come from this JetStream consumer.", nameof(delivery));
        }

        try
        {
            var tasks = new Task[messages.Count];
            for (var i = 0; i < messages.Count; i++)
            {
                tasks[i] = action(messages[i]).AsTask();
            }

            await Task.WhenAll(tasks);
        }
        catch (NatsException ex)
        {
            throw new QueueUnavailableException($"Could not {what} the delivery on {_durableName}: {ex.Message}", ex);
        }
    }
}
