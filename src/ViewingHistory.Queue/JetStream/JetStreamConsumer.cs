using NATS.Client.Core;
using NATS.Client.JetStream;
using ViewingHistory.Core.Diagnostics;
using ViewingHistory.Core.Serialization;

namespace ViewingHistory.Queue.JetStream;

/// <summary>
/// A durable pull consumer of the batch streams: on each stream it reads (<see cref="JetStreamQueueOptions.Streams"/>,
/// <see cref="JetStreamQueueOptions.ConsumeStreams"/>, and streams left past S), the server-side durable consumer of
/// the same name. Every instance with that name, in any process, pulls from the same server-side consumers, so they
/// compete for messages; each message (one batch, or one stream's part of one) goes to one of them at a time and
/// comes back after the ack wait if it is not acknowledged.
/// </summary>
/// <remarks>
/// Fair across streams: each receive starts at the next stream in turn and first takes at most an equal share of
/// <c>maxEvents</c> from each, then fills what is left from the streams that had more, so a busy stream cannot starve
/// the others. A delivery may hold messages of several streams; each is acknowledged on its own (explicit acks), so the
/// delivery policy (hold and retry, dead letters, in-progress acks) applies per message as with one stream.
/// </remarks>
public sealed class JetStreamConsumer : IQueueConsumer
{
    private static readonly TimeSpan MinPullExpiry = TimeSpan.FromSeconds(1);
    private readonly JetStreamEventQueue _queue;
    private readonly string _durableName;
    private readonly JetStreamStreamConsumer[] _streams;
    private readonly CancellationTokenSource _closing = new();
    private int _next;

    internal JetStreamConsumer(JetStreamEventQueue queue, string durableName, IReadOnlyList<string> streams, IReadOnlySet<string> leftover)
    {
        _queue = queue;
        _durableName = durableName;
        _streams = [.. streams.Select(s => new JetStreamStreamConsumer(queue, s, durableName, leftover.Contains(s)))];
    }

    /// <summary>
    /// Messages pending or awaiting acknowledgement on every stream read, times the events per message seen so far;
    /// refreshed every <see cref="JetStreamQueueOptions.StatsRefreshInterval"/>, not on every receive.
    /// </summary>
    public long LagEvents => StreamLags.Sum(l => l.Value);

    /// <inheritdoc />
    public IReadOnlyList<KeyValuePair<string, long>> StreamLags =>
        [.. _streams.Select(s => new KeyValuePair<string, long>(s.Stream, (long)Math.Round(s.LagMessages * _queue.EventsPerMessage)))];

    /// <summary>The streams this consumer reads, in index order.</summary>
    public IReadOnlyList<string> Streams => [.. _streams.Select(s => s.Stream)];

    /// <inheritdoc />
    public int? MaxDeliveries => _queue.Options.MaxDeliver;

    /// <inheritdoc />
    public async ValueTask<QueueDelivery> ReceiveAsync(int maxEvents, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var messages = new List<INatsJSMsg<byte[]>>();
        var events = 0;
        try
        {
            events += TakeLongPulls(messages);
            events += await FetchFairlyAsync(messages, maxEvents - events, cancellationToken);
            if (messages.Count == 0 && maxWait >= MinPullExpiry)
            {
                // Wait for the first message of any stream, then take whatever else is there: a batch never waits for more.
                if (await WaitForAnyAsync(messages, maxWait, cancellationToken))
                {
                    events += messages.Sum(JetStreamStreamConsumer.EventCount);
                    events += await FetchFairlyAsync(messages, maxEvents - events, cancellationToken);
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
                    events += TakeLongPulls(messages);
                    events += await FetchFairlyAsync(messages, maxEvents - events, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
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

    public async ValueTask DisposeAsync()
    {
        _queue.Forget(this);

        // Outstanding long pulls expire by themselves within their wait; what they bring is given back.
        await Task.WhenAll(_streams.Select(s => s.CloseAsync(TimeSpan.FromSeconds(5))));
        await _closing.CancelAsync();
        _closing.Dispose();
    }

    internal Task RefreshLagAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_streams.Select(s => s.RefreshLagAsync(cancellationToken)));

    /// <summary>What long pulls left outstanding by an earlier receive brought since; returns its events.</summary>
    private int TakeLongPulls(List<INatsJSMsg<byte[]>> into)
    {
        var events = 0;
        foreach (var s in _streams)
        {
            if (s.TryTakeLongPull(into))
            {
                events += JetStreamStreamConsumer.EventCount(into[^1]);
            }
        }

        return events;
    }

    /// <summary>
    /// Takes what is available now from every stream, starting at the next one in turn: first an equal share of
    /// <paramref name="maxEvents"/> from each, then the rest from those that had at least their share.
    /// </summary>
    private async Task<int> FetchFairlyAsync(List<INatsJSMsg<byte[]>> into, int maxEvents, CancellationToken cancellationToken)
    {
        if (maxEvents <= 0)
        {
            return 0;
        }

        var n = _streams.Length;
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)n);
        var share = (maxEvents + n - 1) / n;
        var events = 0;
        var more = new List<JetStreamStreamConsumer>();
        Exception? failure = null;
        for (var k = 0; k < n && events < maxEvents; k++)
        {
            var s = _streams[(start + k) % n];
            if (s.Gone)
            {
                continue;
            }

            // One stream failing (its leader being elected, a stream left past S deleted) must not stop the others.
            try
            {
                var got = await s.FetchAvailableAsync(into, Math.Min(share, maxEvents - events), cancellationToken);
                events += got;
                if (got >= share && n > 1)
                {
                    more.Add(s);
                }
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException or QueueUnavailableException && !cancellationToken.IsCancellationRequested)
            {
                failure ??= ex;
            }
        }

        foreach (var s in more)
        {
            if (events >= maxEvents)
            {
                break;
            }

            events += await s.FetchAvailableAsync(into, maxEvents - events, cancellationToken);
        }

        if (into.Count == 0 && failure is not null && _streams.Any(s => !s.Gone))
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        return events;
    }

    /// <summary>
    /// A long pull on every stream (one each, kept outstanding across receives), until the first of them delivers or
    /// <paramref name="maxWait"/> passes; true when a message came.
    /// </summary>
    private async Task<bool> WaitForAnyAsync(List<INatsJSMsg<byte[]>> into, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + maxWait;
        var wait = maxWait;
        while (into.Count == 0)
        {
            // A stream whose pull expired while another's (left from an earlier, longer receive) is still out gets a new one.
            if (wait >= MinPullExpiry)
            {
                foreach (var s in _streams)
                {
                    await s.StartLongPullAsync(wait, _closing.Token, cancellationToken);
                }
            }

            var left = deadline - DateTime.UtcNow;
            wait = left;

            var pulls = _streams.Select(s => s.LongPull).OfType<Task>().ToList();
            if (pulls.Count == 0 || left <= TimeSpan.Zero)
            {
                break;
            }

            // The guard beyond the wait covers a pull lost in a reconnect; the server ends the others at their expiry.
            Task any = Task.WhenAny(pulls);
            await any.WaitAsync(left + TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var s in _streams)
            {
                s.TryTakeLongPull(into);
            }
        }

        return into.Count > 0;
    }

    private QueueEntry ToEntry(INatsJSMsg<byte[]> msg)
    {
        var payload = msg.Data ?? [];

        // A message without an id (a foreign or corrupt writer's) is named by its sequence; sequences of different
        // streams collide, so past stream 0 the stream's name is part of it.
        var stream = msg.Metadata?.Stream;
        var seq = string.Equals(stream, _queue.Options.StreamName, StringComparison.Ordinal) ? "seq:" : "seq:" + stream + ":";
        var id = msg.Headers is { } h && h.TryGetValue("Nats-Msg-Id", out var msgId) && msgId.Count > 0
            ? msgId.ToString()
            : seq + msg.Metadata?.Sequence.Stream;
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
