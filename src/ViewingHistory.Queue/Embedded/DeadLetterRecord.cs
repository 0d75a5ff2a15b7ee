using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ViewingHistory.Queue.Embedded;

/// <summary>
/// The dead-letter file's records: <c>[length:4][crc32:4][body]</c>, body = <c>[kind:1]</c> then, for an add, id,
/// failedAtMs:8, eventCount:4, reason, payload; for a removal, the id. Strings are <c>[length:2][utf8]</c>, the
/// payload <c>[length:4][bytes]</c>. Little-endian. A record that is short or fails its checksum is a torn tail.
/// </summary>
internal static class DeadLetterRecord
{
    public const byte AddKind = 1;
    public const byte RemoveKind = 2;
    public const int HeaderLength = 8;
    private const int MaxReasonChars = 2048;

    public static byte[] Add(DeadLetter letter)
    {
        var reason = letter.Reason.Length > MaxReasonChars ? letter.Reason[..MaxReasonChars] : letter.Reason;
        using var body = new MemoryStream();
        body.WriteByte(AddKind);
        WriteString(body, letter.Id);
        WriteInt64(body, letter.FailedAtMs);
        WriteInt32(body, letter.EventCount);
        WriteString(body, reason);
        WriteInt32(body, letter.Payload.Length);
        body.Write(letter.Payload.Span);
        return Frame(body.ToArray());
    }

    public static byte[] Remove(string id)
    {
        using var body = new MemoryStream();
        body.WriteByte(RemoveKind);
        WriteString(body, id);
        return Frame(body.ToArray());
    }

    /// <summary>
    /// Reads the records of a file one at a time (memory: the largest record, not the file) and returns them without
    /// their payloads, which stay on disk; <paramref name="validLength"/> is where the last whole record ends.
    /// </summary>
    public static List<IndexedRecord> ReadIndex(SafeFileHandle file, out long validLength)
    {
        var records = new List<IndexedRecord>();
        var length = RandomAccess.GetLength(file);
        Span<byte> header = stackalloc byte[HeaderLength];
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            long pos = 0;
            while (length - pos >= HeaderLength && ReadFully(file, header, pos))
            {
                var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(header);
                var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
                if (bodyLength <= 0 || bodyLength > length - pos - HeaderLength)
                {
                    break;
                }

                if (buffer.Length < bodyLength)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(bodyLength);
                }

                var body = buffer.AsSpan(0, bodyLength);
                if (!ReadFully(file, body, pos + HeaderLength) || Crc32.HashToUInt32(body) != crc)
                {
                    break;
                }

                records.Add(ParseIndex(body, pos));
                pos += HeaderLength + bodyLength;
            }

            validLength = pos;
            return records;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads one add record back and checks it: the payload of a dead letter, from disk.</summary>
    public static byte[] ReadPayload(SafeFileHandle file, in DeadLetterSlot slot)
    {
        var record = new byte[slot.RecordLength];
        if (!ReadFully(file, record, slot.RecordOffset) ||
            BinaryPrimitives.ReadInt32LittleEndian(record) != record.Length - HeaderLength ||
            Crc32.HashToUInt32(record.AsSpan(HeaderLength)) != BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(4)))
        {
            throw new IOException("The dead-letter file changed under a held dead letter: its record no longer reads back.");
        }

        return record.AsSpan(slot.PayloadStart, slot.PayloadLength).ToArray();
    }

    /// <summary>The slot of an add record that is written at <paramref name="recordOffset"/>.</summary>
    public static DeadLetterSlot SlotOf(ReadOnlySpan<byte> record, long recordOffset) =>
        ParseIndex(record[HeaderLength..], recordOffset).Slot;

    /// <summary>Reads until <paramref name="buffer"/> is full; false at the end of the file.</summary>
    public static bool ReadFully(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            var read = RandomAccess.Read(file, buffer, offset);
            if (read == 0)
            {
                return false;
            }

            buffer = buffer[read..];
            offset += read;
        }

        return true;
    }

    private static IndexedRecord ParseIndex(ReadOnlySpan<byte> body, long recordOffset)
    {
        var pos = 1;
        var id = ReadString(body, ref pos);
        if (body[0] == RemoveKind)
        {
            return new IndexedRecord(RemoveKind, id, default);
        }

        var failedAt = BinaryPrimitives.ReadInt64LittleEndian(body[pos..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(body[(pos + 8)..]);
        pos += 12;
        var reason = ReadString(body, ref pos);
        var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(body[pos..]);
        return new IndexedRecord(AddKind, id, new DeadLetterSlot(reason, failedAt, count, recordOffset, HeaderLength + body.Length, HeaderLength + pos + 4, payloadLength));
    }

    private static byte[] Frame(byte[] body)
    {
        var framed = new byte[HeaderLength + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(framed, body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(framed.AsSpan(4), Crc32.HashToUInt32(body));
        body.CopyTo(framed, 8);
        return framed;
    }

    private static void WriteString(MemoryStream stream, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, checked((ushort)bytes.Length));
        stream.Write(length);
        stream.Write(bytes);
    }

    private static void WriteInt32(MemoryStream stream, int value)
    {
        Span<byte> span = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(span, value);
        stream.Write(span);
    }

    private static void WriteInt64(MemoryStream stream, long value)
    {
        Span<byte> span = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(span, value);
        stream.Write(span);
    }

    private static string ReadString(ReadOnlySpan<byte> body, ref int pos)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(body[pos..]);
        var value = Encoding.UTF8.GetString(body.Slice(pos + 2, length));
        pos += 2 + length;
        return value;
    }
}
