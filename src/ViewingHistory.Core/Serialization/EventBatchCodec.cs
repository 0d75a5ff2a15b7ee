using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using ViewingHistory.Core.Events;

namespace ViewingHistory.Core.Serialization;

/// <summary>
/// The compact binary form of an accepted batch, as the queues carry it. Format v1:
/// <c>[version:1][acceptedAtMs:8][count:4]</c> then per event: eventId, memberId, titleId, sessionId as
/// <c>[len:1][utf8]</c>, seq:4, type:1, positionMs:8, durationMs:8, timestampMs:8, device as <c>[len:1][utf8]</c>
/// with 255 meaning absent. Little-endian.
/// Format v2 is v1 with the trace context of the ingest span after the count: <c>[traceId:16][spanId:8][flags:1]</c>.
/// It is written only for a batch that carries one (<see cref="AcceptedBatch.Trace"/>: tracing recorded its ingest
/// span), so without tracing every entry is v1, byte for byte as before; both decode, so entries written before
/// traces existed still do.
/// </summary>
public static class EventBatchCodec
{
    private const byte Version = 1;
    private const byte TracedVersion = 2;
    private const byte Absent = 255;
    private const int HeaderLength = 13;
    private const int TraceLength = 25;

    // Smallest encoded event: four one-byte string lengths, 29 fixed bytes, the device's length byte.
    private const int MinEventLength = 34;

    public static byte[] Encode(AcceptedBatch batch)
    {
        var writer = new ArrayBufferWriter<byte>(64 + (batch.Events.Count * 160));
        Encode(batch, writer);
        return writer.WrittenSpan.ToArray();
    }

    public static void Encode(AcceptedBatch batch, IBufferWriter<byte> writer)
    {
        var trace = batch.Trace;
        var traced = trace != default;
        var head = writer.GetSpan(HeaderLength + TraceLength);
        head[0] = traced ? TracedVersion : Version;
        BinaryPrimitives.WriteInt64LittleEndian(head[1..], batch.AcceptedAtMs);
        BinaryPrimitives.WriteInt32LittleEndian(head[9..], batch.Events.Count);
        if (traced)
        {
            trace.TraceId.CopyTo(head.Slice(HeaderLength, 16));
            trace.SpanId.CopyTo(head.Slice(HeaderLength + 16, 8));
            head[HeaderLength + 24] = (byte)trace.TraceFlags;
        }

        writer.Advance(traced ? HeaderLength + TraceLength : HeaderLength);
        foreach (var e in batch.Events)
        {
            WriteString(writer, e.EventId);
            WriteString(writer, e.MemberId);
            WriteString(writer, e.TitleId);
            WriteString(writer, e.SessionId);
            var span = writer.GetSpan(29);
            BinaryPrimitives.WriteInt32LittleEndian(span, e.Seq);
            span[4] = (byte)e.Type;
            BinaryPrimitives.WriteInt64LittleEndian(span[5..], e.PositionMs);
            BinaryPrimitives.WriteInt64LittleEndian(span[13..], e.DurationMs);
            BinaryPrimitives.WriteInt64LittleEndian(span[21..], e.TimestampMs);
            writer.Advance(29);
            WriteString(writer, e.Device);
        }
    }

    /// <summary>
    /// Reads the event count from the header of an encoded batch without decoding it: the queues count lag and size
    /// fetches by it. False (and 0) when <paramref name="data"/> does not start with a format v1 header, or its count
    /// cannot fit in the bytes that follow; the count of such an entry is 0 wherever it is asked, so it adds up the same
    /// at append, at a start-up scan and at acknowledgement. A true answer does not promise that the rest decodes.
    /// Format v2 counts the same way.
    /// </summary>
    public static bool TryReadEventCount(ReadOnlySpan<byte> data, out int count)
    {
        count = 0;
        var headerLength = HeaderLengthOf(data);
        if (headerLength == 0)
        {
            return false;
        }

        var header = BinaryPrimitives.ReadInt32LittleEndian(data[9..]);
        if (header < 0 || (long)header * MinEventLength > data.Length - headerLength)
        {
            return false;
        }

        count = header;
        return true;
    }

    /// <summary>Decodes a batch; throws <see cref="FormatException"/> for bytes that are not one.</summary>
    public static AcceptedBatch Decode(ReadOnlySpan<byte> data)
    {
        try
        {
            var headerLength = HeaderLengthOf(data);
            if (headerLength == 0)
            {
                throw new FormatException($"Not an event batch of format v{Version} or v{TracedVersion}.");
            }

            var acceptedAt = BinaryPrimitives.ReadInt64LittleEndian(data[1..]);
            var count = BinaryPrimitives.ReadInt32LittleEndian(data[9..]);
            if (count < 0 || count > data.Length)
            {
                throw new FormatException("Corrupt event count.");
            }

            var trace = headerLength == HeaderLength ? default : new ActivityContext(
                ActivityTraceId.CreateFromBytes(data.Slice(HeaderLength, 16)),
                ActivitySpanId.CreateFromBytes(data.Slice(HeaderLength + 16, 8)),
                (ActivityTraceFlags)data[HeaderLength + 24],
                isRemote: true);
            var pos = headerLength;
            var events = new PlaybackEvent[count];
            for (var i = 0; i < count; i++)
            {
                var eventId = ReadString(data, ref pos) ?? throw new FormatException("Missing eventId.");
                var memberId = ReadString(data, ref pos) ?? throw new FormatException("Missing memberId.");
                var titleId = ReadString(data, ref pos) ?? throw new FormatException("Missing titleId.");
                var sessionId = ReadString(data, ref pos) ?? throw new FormatException("Missing sessionId.");
                var fixedPart = data.Slice(pos, 29);
                pos += 29;
                var seq = BinaryPrimitives.ReadInt32LittleEndian(fixedPart);
                var type = (PlaybackEventType)fixedPart[4];
                if (!Enum.IsDefined(type))
                {
                    throw new FormatException("Unknown event type.");
                }

                var position = BinaryPrimitives.ReadInt64LittleEndian(fixedPart[5..]);
                var duration = BinaryPrimitives.ReadInt64LittleEndian(fixedPart[13..]);
                var timestamp = BinaryPrimitives.ReadInt64LittleEndian(fixedPart[21..]);
                var device = ReadString(data, ref pos);
                events[i] = new PlaybackEvent(eventId, memberId, titleId, sessionId, seq, type, position, duration, timestamp, device);
            }

            if (pos != data.Length)
            {
                throw new FormatException("Trailing bytes after the batch.");
            }

            return new AcceptedBatch(acceptedAt, events) { Trace = trace };
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            // A slice past the end throws the first, an index past the end (a length byte) the second: both mean the
            // bytes end before the batch does, and anything but FormatException would crash the consumer instead
            // of dead-lettering the entry.
            throw new FormatException("Truncated event batch.", ex);
        }
    }

    /// <summary>The header's length by its version byte (with the trace context in v2); 0 for bytes that start no batch.</summary>
    private static int HeaderLengthOf(ReadOnlySpan<byte> data) => data.Length == 0 ? 0 : data[0] switch
    {
        Version when data.Length >= HeaderLength => HeaderLength,
        TracedVersion when data.Length >= HeaderLength + TraceLength => HeaderLength + TraceLength,
        _ => 0,
    };

    private static void WriteString(IBufferWriter<byte> writer, string? value)
    {
        if (value is null)
        {
            writer.GetSpan(1)[0] = Absent;
            writer.Advance(1);
            return;
        }

        // Ids are at most 64 ASCII chars and device at most 32 UTF-16 units (≤ 96 UTF-8 bytes): one length byte suffices.
        var span = writer.GetSpan(1 + Encoding.UTF8.GetMaxByteCount(value.Length));
        var n = Encoding.UTF8.GetBytes(value, span[1..]);
        if (n >= Absent)
        {
            throw new ArgumentException("String too long for the batch codec.", nameof(value));
        }

        span[0] = (byte)n;
        writer.Advance(1 + n);
    }

    private static string? ReadString(ReadOnlySpan<byte> data, ref int pos)
    {
        var len = data[pos++];
        if (len == Absent)
        {
            return null;
        }

        var s = Encoding.UTF8.GetString(data.Slice(pos, len));
        pos += len;
        return s;
    }
}
