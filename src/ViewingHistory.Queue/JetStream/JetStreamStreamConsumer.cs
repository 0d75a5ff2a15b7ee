using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Polly.Timeout;
using ViewingHistory.Core.Serialization;

namespace ViewingHistory.Queue.JetStream;

/// <summary>
/// One stream's part of a <see cref="JetStreamConsumer"/>: the durable pull consumer of that name on that stream
/// (created on first use, found again after a failure), its no-wait pulls, its one outstanding long pull, and its lag.
/// </summary>
/// <remarks>
/// A long pull is never cancelled early: the server cannot take a pull request back, so a message it sends to a pull
/// the client gave up on is delivered to nobody until its ack wait passes. When a receive over several streams ends
/// because one stream's pull delivered, the other streams' pulls stay outstanding and what they bring is handed out by
/// the next receive (or, at close, given back with a negative ack so it is redelivered at once).
/// </remarks>
internal sealed class JetStreamStreamConsumer(JetStreamEventQueue queue, string stream, string durableName, bool leftover)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private INatsJSConsumer? _consumer;
    private Task? _longPull;
    private INatsJSMsg<byte[]>? _pulled;
    private long _lagMessages;

    /// <summary>The stream's name (the <c>stream</c> label of the lag gauges).</summary>
    public string Stream => stream;

    /// <summary>
    /// True once a stream left past S (nothing writes it any more) was found deleted: an operator removed it after it
    /// drained, and it is skipped from then on instead of failing every receive.
    /// </summary>
    public bool Gone { get; private set; }

    /// <summary>Messages pending or awaiting acknowledgement at the last refresh.</summary>
    public long LagMessages => Interlocked.Read(ref _lagMessages);

    /// <summary>The outstanding long pull, if any (completed or not).</summary>
    public Task? LongPull => _longPull;

    /// <summary>Takes what a finished long pull brought; false while it is still waiting (or none is outstanding).</summary>
    public bool TryTakeLongPull(List<INatsJSMsg<byte[]>> into)
    {
        if (_longPull is not { IsCompleted: true } done)
        {
            return false;
        }

        _longPull = null;
        if (Interlocked.Exchange(ref _pulled, null) is { } msg)
        {
            into.Add(msg);
            return true;
        }

        // A failed pull (a reconnect, a deleted consumer): find the consumer again next time.
        if (done.IsFaulted)
        {
            _ = done.Exception;
            _consumer = null;
        }

        return false;
    }

    /// <summary>Starts a long pull for one message, expiring after <paramref name="maxWait"/>, unless one is outstanding.</summary>
    public async ValueTask StartLongPullAsync(TimeSpan maxWait, CancellationToken lifetime, CancellationToken cancellationToken)
    {
        if (_longPull is not null || Gone)
        {
            return;
        }

        var consumer = await EnsureAsync(cancellationToken);
        _longPull = WaitForOneAsync(consumer, maxWait, lifetime);
    }

    private async Task WaitForOneAsync(INatsJSConsumer consumer, TimeSpan maxWait, CancellationToken lifetime)
    {
        // Set before the task completes: whoever sees it completed finds the message.
        Volatile.Write(ref _pulled, await PullOneAsync(consumer, maxWait, lifetime));
    }

    /// <summary>Takes messages available now, without waiting, until about <paramref name="maxEvents"/> events; returns the events taken.</summary>
    public async Task<int> FetchAvailableAsync(List<INatsJSMsg<byte[]>> into, int maxEvents, CancellationToken cancellationToken)
    {
        var consumer = await EnsureAsync(cancellationToken);
        var events = 0;
        try
        {
            while (events < maxEvents)
            {
                var want = (int)Math.Clamp(Math.Ceiling((maxEvents - events) / queue.EventsPerMessage), 1, queue.Options.MaxAckPending);
                var got = 0;

                // A no-wait pull has no expiry of its own: while the connection is down it would wait for the reconnect.
                using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                guard.CancelAfter(queue.Options.PublishAttemptTimeout);
                try
                {
                    await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = want }, cancellationToken: guard.Token))
                    {
                        into.Add(msg);
                        events += EventCount(msg);
                        got++;
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"No answer to a pull from {stream} within {queue.Options.PublishAttemptTimeout.TotalSeconds:0.#} s.");
                }

                if (got < want)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            // The consumer may have been deleted or the server lost: find or create it again on the next call.
            _consumer = null;
            throw;
        }

        return events;
    }

    /// <summary>Refreshes <see cref="LagMessages"/> from the server; keeps the last value while it cannot be reached.</summary>
    public async Task RefreshLagAsync(CancellationToken cancellationToken)
    {
        if (_consumer is not { } consumer)
        {
            return;
        }

        try
        {
            await consumer.RefreshAsync(cancellationToken);
            var info = consumer.Info;
            Interlocked.Exchange(ref _lagMessages, (long)(info.NumPending + (ulong)Math.Max(0, info.NumAckPending)));
        }
        catch (NatsException)
        {
            // An estimate: keep the last value while the server is unreachable.
        }
    }

    /// <summary>
    /// Waits (at most <paramref name="atMost"/>) for the outstanding long pull and gives back what it brought with a
    /// negative ack, so that the message goes to another instance at once instead of after its ack wait.
    /// </summary>
    public async Task CloseAsync(TimeSpan atMost)
    {
        if (_longPull is { } pull)
        {
            await pull.WaitAsync(atMost).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (pull.IsCompleted && Interlocked.Exchange(ref _pulled, null) is { } msg)
            {
                try
                {
                    await msg.NakAsync();
                }
                catch (NatsException)
                {
                    // It comes back after its ack wait instead.
                }
            }
        }

        _gate.Dispose();
    }

    /// <summary>Events in a message, from the payload's header alone (a full decode happens once, when it is handed out).</summary>
    public static int EventCount(INatsJSMsg<byte[]> msg) => EventBatchCodec.EventCountOf(msg.Data);

    private async ValueTask<INatsJSConsumer> EnsureAsync(CancellationToken cancellationToken)
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

            var o = queue.Options;
            var config = new ConsumerConfig(durableName)
            {
                DurableName = durableName,
                AckPolicy = ConsumerConfigAckPolicy.Explicit,
                DeliverPolicy = ConsumerConfigDeliverPolicy.All,
                AckWait = o.AckWait,
                MaxDeliver = o.MaxDeliver,
                MaxAckPending = o.MaxAckPending,
                FilterSubject = stream + ".batch",
            };
            if (o.EffectiveBackoff.Count > 0)
            {
                config.Backoff = [.. o.EffectiveBackoff];
            }

            try
            {
                // Create-or-update with the same config from every instance is idempotent on the server. Retried:
                // right after a node restarts or a leader moves, the API may not answer for a few seconds.
                _consumer = await queue.Retry.ExecuteAsync(
                    (cfg, ct) => queue.JetStream.CreateOrUpdateConsumerAsync(stream, cfg, ct),
                    config,
                    cancellationToken);
            }
            catch (NatsJSApiException ex) when (leftover && ex.Error.ErrCode == JetStreamFailures.StreamNotFound)
            {
                Gone = true;
                throw new QueueUnavailableException($"The stream {stream}, left past Queue:Streams, is gone: no longer read.", ex);
            }
            catch (Exception ex) when (ex is NatsException or TimeoutRejectedException)
            {
                throw new QueueUnavailableException($"Could not create consumer {durableName} on {stream}: {ex.Message}", ex);
            }

            await RefreshLagAsync(cancellationToken);
            return _consumer;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A long pull for one message; null when none came before it expired.</summary>
    private static async Task<INatsJSMsg<byte[]>?> PullOneAsync(INatsJSConsumer consumer, TimeSpan maxWait, CancellationToken lifetime)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(lifetime);

        // The server ends the pull at its expiry; this is only a guard for a pull lost in a reconnect.
        wait.CancelAfter(maxWait + TimeSpan.FromSeconds(2));
        try
        {
            await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1, Expires = maxWait }, cancellationToken: wait.Token))
            {
                return msg;
            }
        }
        catch (OperationCanceledException)
        {
        }

        return null;
    }
}
