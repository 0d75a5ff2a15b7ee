using System.Buffers.Binary;

namespace ViewingHistory.Queue.Embedded;

/// <summary>Reads the event count from an encoded batch's header without decoding it (EventBatchCodec format v1).</summary>
internal static class EntryFormat
{
    private const int HeaderLength = 13;

    // Smallest encoded event: four one-byte string lengths, 29 fixed bytes, the device's length byte.
    private const int MinEventLength = 34;

    /// <summary>
    /// The batch's event count, or 0 when the header is not one. The lag count uses this same function at append, at
    /// the start-up scan and at acknowledgement, so a poison entry counts the same everywhere.
    /// </summary>
    public static int EventCountOf(ReadOnlySpan<byte> entry)
    {
        if (entry.Length < HeaderLength || entry[0] != 1)
        {
            return 0;
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(entry[9..]);
        return count >= 0 && (long)count * MinEventLength <= entry.Length - HeaderLength ? count : 0;
    }
}
