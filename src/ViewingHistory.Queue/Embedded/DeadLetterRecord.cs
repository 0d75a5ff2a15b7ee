using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

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

    /// <summary>Reads the records of a file's content; <paramref name="validLength"/> is where the last whole record ends.</summary>
    public static List<(byte Kind, string Id, DeadLetter? Letter)> ReadAll(ReadOnlySpan<byte> data, out long validLength)
    {
        var records = new List<(byte, string, DeadLetter?)>();
        var pos = 0;
        while (data.Length - pos >= 8)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(data[pos..]);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(data[(pos + 4)..]);
            if (length <= 0 || length > data.Length - pos - 8)
            {
                break;
            }

            var body = data.Slice(pos + 8, length);
            if (Crc32.HashToUInt32(body) != crc)
            {
                break;
            }

            records.Add(Parse(body));
            pos += 8 + length;
        }

        validLength = pos;
        return records;
    }

    private static (byte, string, DeadLetter?) Parse(ReadOnlySpan<byte> body)
    {
        var pos = 1;
        var id = ReadString(body, ref pos);
        if (body[0] == RemoveKind)
        {
            return (RemoveKind, id, null);
        }

        var failedAt = BinaryPrimitives.ReadInt64LittleEndian(body[pos..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(body[(pos + 8)..]);
        pos += 12;
        var reason = ReadString(body, ref pos);
        var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(body[pos..]);
        var payload = body.Slice(pos + 4, payloadLength).ToArray();
        return (AddKind, id, new DeadLetter(id, reason, failedAt, count, payload));
    }

    private static byte[] Frame(byte[] body)
    {
        var framed = new byte[8 + body.Length];
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
