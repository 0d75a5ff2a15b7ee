using System.Globalization;
using ViewingHistory.Core.Serialization;

namespace ViewingHistory.Queue.Embedded;

/// <summary>Turns a log entry into a <see cref="QueueEntry"/>; bytes that do not decode become a poison entry.</summary>
internal static class EntryDecoder
{
    public static QueueEntry Decode(long address, ReadOnlyMemory<byte> payload)
    {
        var id = address.ToString(CultureInfo.InvariantCulture);
        try
        {
            return new QueueEntry(id, EventBatchCodec.Decode(payload.Span), payload, 1, null);
        }
        catch (FormatException ex)
        {
            return new QueueEntry(id, null, payload, 1, ex.Message);
        }
    }
}
