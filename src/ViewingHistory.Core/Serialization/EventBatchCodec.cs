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

    /// <summary>The batch's bytes, in an array of exactly their length.</summary>
    /// <exception cref="ArgumentException">A string of the batch encodes to more than 254 UTF-8 bytes.</exception>
    public static byte[] Encode(AcceptedBatch batch)
    {
        var bytes = new byte[EncodedLength(batch)];
        Encode(batch, bytes);
        return bytes;
    }

    /// <summary>How many bytes <see cref="Encode(AcceptedBatch, Span{byte})"/> writes for the batch.</summary>
    /// <exception cref="ArgumentException">A string of the batch encodes to more than 254 UTF-8 bytes.</exception>
    public static int EncodedLength(AcceptedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var length = batch.Trace != default ? HeaderLength + TraceLength : HeaderLength;
        foreach (var e in batch.Events)
        {
            length += StringLength(e.EventId) + StringLength(e.MemberId) + StringLength(e.TitleId) + StringLength(e.SessionId) + 29 + StringLength(e.Device);
        }

        return length;
    }

    /// <summary>
    /// Writes the batch at the start of <paramref name="destination"/>, which holds at least
    /// <see cref="EncodedLength"/> bytes; returns how many it wrote. Writing into a buffer the caller owns (a pooled
    /// one) spares the array per batch that <see cref="Encode(AcceptedBatch)"/> allocates.
    /// </summary>
    public static int Encode(AcceptedBatch batch, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var trace = batch.Trace;
        var traced = trace != default;
        destination[0] = traced ? TracedVersion : Version;
        BinaryPrimitives.WriteInt64LittleEndian(destination[1..], batch.AcceptedAtMs);
        BinaryPrimitives.WriteInt32LittleEndian(destination[9..], batch.Events.Count);
        var pos = HeaderLength;
        if (traced)
        {
            trace.TraceId.CopyTo(destination.Slice(HeaderLength, 16));
            trace.SpanId.CopyTo(destination.Slice(HeaderLength + 16, 8));
            destination[HeaderLength + 24] = (byte)trace.TraceFlags;
            pos += TraceLength;
        }

        foreach (var e in batch.Events)
        {
            WriteString(destination, ref pos, e.EventId);
            WriteString(destination, ref pos, e.MemberId);
            WriteString(destination, ref pos, e.TitleId);
            WriteString(destination, ref pos, e.SessionId);
            var span = destination.Slice(pos, 29);
            BinaryPrimitives.WriteInt32LittleEndian(span, e.Seq);
            span[4] = (byte)e.Type;
            BinaryPrimitives.WriteInt64LittleEndian(span[5..], e.PositionMs);
            BinaryPrimitives.WriteInt64LittleEndian(span[13..], e.DurationMs);
            BinaryPrimitives.WriteInt64LittleEndian(span[21..], e.TimestampMs);
            pos += 29;
            WriteString(destination, ref pos, e.Device);
        }

        return pos;
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

    /// <summary>The count <see cref="TryReadEventCount"/> reads, 0 where it reads none: what an entry weighs wherever the queues count it.</summary>
    public static int EventCountOf(ReadOnlySpan<byte> data) => TryReadEventCount(data, out var count) ? count : 0;

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

    /// <summary>A string's encoded length: its length byte and its UTF-8 bytes (the byte alone when absent).</summary>
    private static int StringLength(string? value)
    {
        if (value is null)
        {
            return 1;
        }

        // Ids are at most 64 ASCII chars and device at most 32 UTF-16 units (≤ 96 UTF-8 bytes): one length byte suffices.
        var n = Encoding.UTF8.GetByteCount(value);
        if (n >= Absent)
        {
            throw new ArgumentException("String too long for the batch codec.", nameof(value));
        }

        return 1 + n;
    }

    private static void WriteString(Span<byte> destination, ref int pos, string? value)
    {
        if (value is null)
        {
            destination[pos++] = Absent;
            return;
        }

        var n = Encoding.UTF8.GetBytes(value, destination[(pos + 1)..]);
        destination[pos] = (byte)n;
        pos += 1 + n;
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
