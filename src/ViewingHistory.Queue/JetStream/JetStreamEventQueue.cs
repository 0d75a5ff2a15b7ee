using System.Text.RegularExpressions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using System.Diagnostics;
using ViewingHistory.Core.Diagnostics;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.Serialization;

namespace ViewingHistory.Queue.JetStream;

/// <summary>
/// The distributed event queue: a NATS JetStream stream (file storage, Limits retention, DiscardNew, R1 or R3)
/// holding one message per accepted batch, durable pull consumers shared by every instance of a name
/// (competing consumers), and a second stream for dead letters.
/// </summary>
/// <remarks>
/// One message per batch because nats-server 2.9 has no atomic multi-message publish: the batch's events become
/// durable together or not at all. A batch of the contract's 500 events encodes to about 100 KB, well under the
/// server's default <c>max_payload</c> of 1 MiB. nats-server 2.9 acknowledges a publish before it fsyncs: with one
/// replica a batch survives a process crash, not a machine crash; three replicas survive the loss of a node.
/// </remarks>
public sealed partial class JetStreamEventQueue : IEventQueue
{
    private readonly JetStreamQueueOptions _options;
    private readonly NatsConnection _connection;
    private readonly NatsJSContext _js;
    private readonly ResiliencePipeline _retry;
    private readonly JetStreamDeadLetterQueue _deadLetters;
    private readonly List<JetStreamConsumer> _consumers = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task? _statsLoop;
    private readonly IReadOnlyList<string> _assigned;
    private IReadOnlyList<string> _consumed;
    private IReadOnlySet<string> _leftover = new HashSet<string>();
    private long _eventsSeen;
    private long _messagesSeen;

    public JetStreamEventQueue(JetStreamQueueOptions options)
    {
        options.Validate();
        _options = options;
        _connection = new NatsConnection(new NatsOpts
        {
            Url = options.Url,
            Name = options.ConnectionName,
            // A service wants to be back within a fraction of a second after a node restarts or fails over.
            ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
            ReconnectWaitMax = TimeSpan.FromSeconds(1),
            ConnectTimeout = TimeSpan.FromSeconds(2),
            MaxReconnectRetry = -1,
        });
        _js = new NatsJSContext(_connection);
        _retry = BuildRetry(options.AppendRetryBudget);
        _deadLetters = new JetStreamDeadLetterQueue(this);
        _assigned = [.. StreamLayout.ParseConsumeStreams(options.ConsumeStreams, options.Streams, out _)!.Select(options.StreamNameOf)];
        _consumed = _assigned;
    }

    /// <summary>The settings in force.</summary>
    public JetStreamQueueOptions Options => _options;

    /// <inheritdoc />
    public IDeadLetterQueue DeadLetters => _deadLetters;

    internal NatsJSContext JetStream => _js;

    /// <summary>Retries transient failures of setup calls (streams, consumers) within the append budget.</summary>
    internal ResiliencePipeline Retry => _retry;

    /// <summary>Events per message seen so far in appends and deliveries; turns message counts into event estimates.</summary>
    internal double EventsPerMessage
    {
        get
        {
            var messages = Interlocked.Read(ref _messagesSeen);
            return messages == 0 ? 1 : (double)Interlocked.Read(ref _eventsSeen) / messages;
        }
    }

    /// <summary>
    /// The batch streams this node's consumers read: those of <see cref="JetStreamQueueOptions.ConsumeStreams"/> (all S
    /// by default), then the streams past S found at <see cref="InitializeAsync"/>. Before it: the configured ones.
    /// </summary>
    public IReadOnlyList<string> ConsumedStreams => _consumed;

    /// <inheritdoc />
    /// <remarks>
    /// Creates (or updates) the S batch streams and the dead-letter stream, and finds the batch streams past S that a
    /// deployment with more streams left behind (<see cref="StreamLayout"/>): consumers read those too until they are
    /// deleted by hand.
    /// </remarks>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        // Several instances may start at once, and a cluster may still be electing its meta leader: retry both.
        var setup = BuildRetry(TimeSpan.FromSeconds(30));
        IReadOnlyList<int> leftover;
        try
        {
            leftover = await setup.ExecuteAsync(
                async ct =>
                {
                    // ConnectAsync takes no token (its ConnectTimeout bounds each attempt): the caller's still ends the wait.
                    await _connection.ConnectAsync().AsTask().WaitAsync(ct);
                    for (var i = 0; i < _options.Streams; i++)
                    {
                        await _js.CreateOrUpdateStreamAsync(JetStreamStreams.Batches(_options, i), ct);
                    }

                    await _js.CreateOrUpdateStreamAsync(JetStreamStreams.DeadLetters(_options), ct);
                    return await JetStreamStreams.LeftoverAsync(_js, _options, ct);
                },
                cancellationToken);
        }
        catch (Exception ex) when (ex is NatsException or TimeoutRejectedException or TimeoutException)
        {
            // The URL may hold a user and password: this message reaches logs and, at start, the console.
            throw new QueueUnavailableException($"Could not create the JetStream streams at {Redaction.Secrets(_options.Url)}: {Redaction.Secrets(ex.Message)}", ex);
        }

        _leftover = leftover.Select(_options.StreamNameOf).ToHashSet(StringComparer.Ordinal);
        _consumed = [.. _assigned.Concat(_leftover)];
        await _deadLetters.RefreshCountAsync(cancellationToken);
        _statsLoop ??= Task.Run(() => RefreshStatsAsync(_stopping.Token), CancellationToken.None);
    }

    /// <inheritdoc />
    /// <remarks>
    /// With S streams the batch is split by member (<see cref="StreamLayout.Split(AcceptedBatch, int)"/>) into one
    /// message per stream that gets events, published together; the append completes once every part is acknowledged.
    /// If any part fails the append fails as a whole (ingest answers as for any failed append, the device resends);
    /// the parts that were stored are deduplicated by their ids within the window, or merged idempotently after it.
    /// </remarks>
    public async ValueTask AppendAsync(AcceptedBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var parts = StreamLayout.Split(batch, _options.Streams);
        if (parts.Count == 1)
        {
            var (stream, part, msgId) = parts[0];
            await AppendPartAsync(stream, part, msgId, cancellationToken);
            return;
        }

        var publishes = new Task[parts.Count];
        for (var i = 0; i < parts.Count; i++)
        {
            var (stream, part, msgId) = parts[i];
            publishes[i] = AppendPartAsync(stream, part, msgId, cancellationToken).AsTask();
        }

        // Awaiting WhenAll throws the first failure itself, not an aggregate: callers sort failures by type
        // (QueueUnavailableException: spool, or 503).
        await Task.WhenAll(publishes);
    }

    /// <summary>Publishes one stream's part of a batch (with one stream, the batch) under <paramref name="msgId"/>.</summary>
    internal async ValueTask AppendPartAsync(int stream, AcceptedBatch batch, string msgId, CancellationToken cancellationToken)
    {
        // The ingest span's context goes in a header, not the payload: the payload stays format v1 for any reader.
        NatsHeaders? headers = null;
        if (batch.Trace != default)
        {
            headers = new NatsHeaders { [VhTracing.IngestTraceHeader] = VhTracing.TraceParent(batch.Trace) };
            batch = batch with { Trace = default };
        }

        var payload = EventBatchCodec.Encode(batch);
        var max = _connection.ServerInfo?.MaxPayload ?? int.MaxValue;
        if (payload.Length > max)
        {
            // Not transient: no retry makes it fit. The contract's 500 events encode to ~100 KB, so only a server
            // configured far below its 1 MiB default gets here.
            throw new InvalidOperationException($"A batch of {batch.Events.Count} events encodes to {payload.Length} bytes, over the server's max_payload of {max}.");
        }

        await PublishAsync(_options.BatchSubjectOf(stream), payload, msgId, headers, cancellationToken);
        CountSeen(batch.Events.Count, 1);
    }

    /// <inheritdoc />
    public IQueueConsumer OpenConsumer(string name)
    {
        if (!ConsumerName().IsMatch(name))
        {
            throw new ArgumentException("A consumer name is 1-64 of [A-Za-z0-9_-].", nameof(name));
        }

        var consumer = new JetStreamConsumer(this, JetStreamQueueOptions.DurableNameOf(name), _consumed, _leftover);
        lock (_consumers)
        {
            _consumers.Add(consumer);
        }

        return consumer;
    }

    /// <inheritdoc />
    /// <remarks>
    /// A no-op, on every stream: with Limits retention a consumer holds no message back, and deleting the durable consumer on one node's
    /// say-so would pull it from under the nodes still running it (a rolling restart out of shadow mode replays the
    /// whole stream into them once they recreate it). An operator deletes it by hand once no node runs it.
    /// </remarks>
    public Task<bool> RetireConsumerAsync(string name, CancellationToken cancellationToken)
    {
        if (!ConsumerName().IsMatch(name))
        {
            throw new ArgumentException("A consumer name is 1-64 of [A-Za-z0-9_-].", nameof(name));
        }

        return Task.FromResult(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        if (_connection.ConnectionState != NatsConnectionState.Open)
        {
            return false;
        }

        // Every stream an append may write: a batch with members on a stream that is gone cannot be made durable.
        return await StreamsAnswerAsync(Enumerable.Range(0, _options.Streams).Select(_options.StreamNameOf), cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Consumers need an open connection and every stream assigned to them; not the streams left past S, which an
    /// operator deletes once they are drained.
    /// </remarks>
    public async ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken) =>
        _connection.ConnectionState == NatsConnectionState.Open && await StreamsAnswerAsync(_assigned, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_statsLoop is not null)
        {
            await _statsLoop;
        }

        JetStreamConsumer[] consumers;
        lock (_consumers)
        {
            consumers = [.. _consumers];
        }

        foreach (var consumer in consumers)
        {
            await consumer.DisposeAsync();
        }

        await _connection.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task<bool> StreamsAnswerAsync(IEnumerable<string> streams, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await Task.WhenAll(streams.Select(s => _js.GetStreamAsync(s, cancellationToken: timeout.Token).AsTask()));
            return true;
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    internal void CountSeen(long events, long messages)
    {
        Interlocked.Add(ref _eventsSeen, events);
        Interlocked.Add(ref _messagesSeen, messages);
    }

    internal void Forget(JetStreamConsumer consumer)
    {
        lock (_consumers)
        {
            _consumers.Remove(consumer);
        }
    }

    /// <summary>
    /// Publishes and waits for the stream's acknowledgement, retrying transient failures within the append budget.
    /// A retry reuses the message id, so a publish that was stored but whose acknowledgement was lost is not stored twice.
    /// </summary>
    internal async ValueTask<PubAckResponse> PublishAsync(string subject, byte[] payload, string msgId, NatsHeaders? headers, CancellationToken cancellationToken)
    {
        var pubOpts = new NatsJSPubOpts { MsgId = msgId };
        try
        {
            return await _retry.ExecuteAsync(
                async ct =>
                {
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    attempt.CancelAfter(_options.PublishAttemptTimeout);
                    PubAckResponse ack;
                    try
                    {
                        ack = await _js.PublishAsync(subject, payload, opts: pubOpts, headers: headers, cancellationToken: attempt.Token);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        throw new TimeoutException($"No acknowledgement within {_options.PublishAttemptTimeout.TotalSeconds:0.#} s.");
                    }

                    // A duplicate is success: the same batch (or dead letter) is already stored.
                    if (!ack.Duplicate)
                    {
                        ack.EnsureSuccess();
                    }

                    return ack;
                },
                cancellationToken);
        }
        catch (Exception ex) when (JetStreamFailures.IsStreamFull(ex))
        {
            throw new QueueUnavailableException($"The stream is full ({ex.Message}); publishes are refused until space frees up.", ex);
        }
        catch (Exception ex) when (ex is NatsException or TimeoutRejectedException or TimeoutException)
        {
            throw new QueueUnavailableException($"JetStream did not acknowledge the publish: {ex.Message}", ex);
        }
    }

    private static ResiliencePipeline BuildRetry(TimeSpan budget) =>
        new ResiliencePipelineBuilder()
            .AddTimeout(budget)
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(JetStreamFailures.IsTransient),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(50),
                MaxDelay = TimeSpan.FromSeconds(1),
            })
            .Build();

    private async Task RefreshStatsAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.StatsRefreshInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                JetStreamConsumer[] consumers;
                lock (_consumers)
                {
                    consumers = [.. _consumers];
                }

                try
                {
                    foreach (var consumer in consumers)
                    {
                        await consumer.RefreshLagAsync(stopping);
                    }

                    await _deadLetters.RefreshCountAsync(stopping);
                }
                catch (Exception) when (!stopping.IsCancellationRequested)
                {
                    // Gauges only: a failed refresh keeps the last values and must not end the loop.
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ConsumerName();
}
