using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.Serialization;

namespace ViewingHistory.Queue.JetStream;

/// <summary>
/// Dead letters in their own stream (file storage, Limits retention, kept until purged): the payload as it was
/// appended, with the reason, time, event count and original id as headers. A dead letter's id is its sequence
/// in that stream.
/// </summary>
public sealed class JetStreamDeadLetterQueue : IDeadLetterQueue
{
    private const string ReasonHeader = "VH-Reason";
    private const string FailedAtHeader = "VH-Failed-At";
    private const string EventCountHeader = "VH-Event-Count";
    private const string OriginalIdHeader = "VH-Original-Id";

    private readonly JetStreamEventQueue _queue;
    private long _count;

    internal JetStreamDeadLetterQueue(JetStreamEventQueue queue)
    {
        _queue = queue;
    }

    /// <summary>Messages in the dead-letter stream, refreshed periodically and after every change made here.</summary>
    public long Count => Interlocked.Read(ref _count);

    private string Stream => _queue.Options.DlqStream;

    /// <inheritdoc />
    public async ValueTask AddAsync(QueueEntry entry, string reason, CancellationToken cancellationToken)
    {
        var headers = new NatsHeaders
        {
            // Header values may not hold line breaks or non-ASCII: escape the free text.
            [ReasonHeader] = Uri.EscapeDataString(reason.Length > 2_000 ? reason[..2_000] : reason),
            [FailedAtHeader] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            [EventCountHeader] = (entry.Batch?.Events.Count ?? 0).ToString(CultureInfo.InvariantCulture),
            [OriginalIdHeader] = entry.Id,
        };

        // The id dedups a processor that dead-letters, crashes before its ack, and dead-letters the redelivery again.
        await _queue.PublishAsync(_queue.Options.DlqSubject, entry.Payload.ToArray(), "dlq:" + entry.Id, headers, cancellationToken);
        await RefreshCountAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return [];
        }

        var list = new List<DeadLetter>();
        foreach (var (msg, seq) in await ReadAsync(startSeq: 0, limit, cancellationToken))
        {
            list.Add(ToDeadLetter(msg, seq));
        }

        return list;
    }

    /// <inheritdoc />
    public async Task<bool> ReplayAsync(string id, CancellationToken cancellationToken)
    {
        if (!ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) || seq == 0)
        {
            return false;
        }

        var found = await ReadAsync(seq, 1, cancellationToken);
        if (found.Count == 0 || found[0].Seq != seq)
        {
            return false;
        }

        var (msg, _) = found[0];
        var original = Header(msg, OriginalIdHeader) ?? "dlq";

        // A new message id: the original is still in the dedup window when an operator replays right after a fix,
        // and a replay under the old id would be acknowledged and silently dropped.
        var replayId = original + ":replay:" + seq.ToString(CultureInfo.InvariantCulture);
        await RepublishAsync(msg.Data ?? [], replayId, cancellationToken);

        // If this delete fails, a second replay republishes under the same id and is deduplicated.
        await DeleteAsync(seq, cancellationToken);
        await RefreshCountAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Puts a dead letter's payload back where its members' events go now: a batch is split by member over the streams
    /// in force (S may have changed since it failed), as an append is; bytes that do not decode go to stream 0 as they
    /// are (they were poison before and are dead-lettered again, unless the reader was what changed).
    /// </summary>
    private async Task RepublishAsync(byte[] payload, string replayId, CancellationToken cancellationToken)
    {
        AcceptedBatch batch;
        try
        {
            batch = EventBatchCodec.Decode(payload);
        }
        catch (FormatException)
        {
            await _queue.PublishAsync(_queue.Options.BatchSubject, payload, replayId, headers: null, cancellationToken);
            return;
        }

        if (_queue.Options.Streams == 1)
        {
            // The bytes as they were dead-lettered, as before streams existed.
            await _queue.PublishAsync(_queue.Options.BatchSubject, payload, replayId, headers: null, cancellationToken);
            return;
        }

        await Task.WhenAll(StreamLayout.Split(batch, _queue.Options.Streams, replayId)
            .Select(p => _queue.AppendPartAsync(p.Stream, p.Part, p.MsgId, cancellationToken).AsTask()));
    }

    /// <inheritdoc />
    public async Task<int> PurgeAsync(string? id, CancellationToken cancellationToken)
    {
        try
        {
            if (id is null)
            {
                var purged = await _queue.JetStream.PurgeStreamAsync(Stream, new StreamPurgeRequest(), cancellationToken);
                await RefreshCountAsync(cancellationToken);
                return (int)Math.Min(int.MaxValue, purged.Purged);
            }

            if (!ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) || seq == 0)
            {
                return 0;
            }

            var deleted = await DeleteAsync(seq, cancellationToken);
            await RefreshCountAsync(cancellationToken);
            return deleted ? 1 : 0;
        }
        catch (NatsException ex)
        {
            throw new QueueUnavailableException($"Could not purge dead letters: {ex.Message}", ex);
        }
    }

    internal async Task RefreshCountAsync(CancellationToken cancellationToken)
    {
        try
        {
            var stream = await _queue.JetStream.GetStreamAsync(Stream, cancellationToken: cancellationToken);
            Interlocked.Exchange(ref _count, stream.Info.State.Messages);
        }
        catch (NatsException)
        {
            // A gauge: keep the last value while the server is unreachable.
        }
    }

    private async Task<bool> DeleteAsync(ulong seq, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _queue.JetStream.DeleteMessageAsync(Stream, new StreamMsgDeleteRequest { Seq = seq }, cancellationToken);
            return response.Success;
        }
        catch (NatsJSApiException ex) when (ex.Error.Code != 503)
        {
            // The server answers a delete of a missing sequence with an error ("stream store EOF"): tell that
            // apart from a real failure by looking the message up.
            if (await ExistsAsync(seq, cancellationToken))
            {
                throw;
            }

            return false;
        }
    }

    private async Task<bool> ExistsAsync(ulong seq, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await _queue.JetStream.GetStreamAsync(Stream, cancellationToken: cancellationToken);
            await stream.GetAsync(new StreamMsgGetRequest { Seq = seq }, cancellationToken);
            return true;
        }
        catch (NatsJSApiException ex) when (JetStreamFailures.IsNotFound(ex))
        {
            return false;
        }
    }

    /// <summary>
    /// Reads dead letters in sequence order from <paramref name="startSeq"/> (0: the first) with a short-lived
    /// ordered consumer, which also hands back the headers parsed.
    /// </summary>
    private async Task<List<(INatsJSMsg<byte[]> Msg, ulong Seq)>> ReadAsync(ulong startSeq, int limit, CancellationToken cancellationToken)
    {
        var result = new List<(INatsJSMsg<byte[]>, ulong)>();
        try
        {
            var stream = await _queue.JetStream.GetStreamAsync(Stream, cancellationToken: cancellationToken);
            Interlocked.Exchange(ref _count, stream.Info.State.Messages);
            if (stream.Info.State.Messages == 0 || (startSeq > 0 && startSeq > stream.Info.State.LastSeq))
            {
                return result;
            }

            var consumer = await _queue.JetStream.CreateOrderedConsumerAsync(
                Stream,
                new NatsJSOrderedConsumerOpts
                {
                    DeliverPolicy = startSeq > 0 ? ConsumerConfigDeliverPolicy.ByStartSequence : ConsumerConfigDeliverPolicy.All,
                    OptStartSeq = startSeq,
                },
                cancellationToken);
            var want = (int)Math.Min(limit, stream.Info.State.Messages);
            var opts = new NatsJSFetchOpts { MaxMsgs = want, Expires = TimeSpan.FromSeconds(2) };
            await foreach (var msg in consumer.FetchAsync<byte[]>(opts, cancellationToken: cancellationToken))
            {
                result.Add((msg, msg.Metadata?.Sequence.Stream ?? 0));
                if (result.Count >= want)
                {
                    break;
                }
            }

            return result;
        }
        catch (NatsException ex)
        {
            throw new QueueUnavailableException($"Could not read dead letters: {ex.Message}", ex);
        }
    }

    private static DeadLetter ToDeadLetter(INatsJSMsg<byte[]> msg, ulong seq)
    {
        var reason = Header(msg, ReasonHeader);
        _ = long.TryParse(Header(msg, FailedAtHeader), NumberStyles.Integer, CultureInfo.InvariantCulture, out var failedAt);
        _ = int.TryParse(Header(msg, EventCountHeader), NumberStyles.Integer, CultureInfo.InvariantCulture, out var events);
        return new DeadLetter(
            seq.ToString(CultureInfo.InvariantCulture),
            reason is null ? "" : Uri.UnescapeDataString(reason),
            failedAt,
            events,
            msg.Data ?? []);
    }

    private static string? Header(INatsJSMsg<byte[]> msg, string name) =>
        msg.Headers is { } h && h.TryGetValue(name, out var v) && v.Count > 0 ? v.ToString() : null;
}
