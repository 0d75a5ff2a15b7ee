using System.IO.Hashing;
using System.Text;
using ViewingHistory.Core.Events;

namespace ViewingHistory.Queue.JetStream;

/// <summary>
/// The stable identity of an accepted batch, used as its <c>Nats-Msg-Id</c>: the same events resent (a client's
/// retry after a 503, the spool forwarding twice) get the same id and the server stores them once.
/// </summary>
public static class BatchId
{
    /// <summary>Hex XxHash128 of the batch's event ids in order, each followed by a newline (not in the id alphabet).</summary>
    public static string Of(AcceptedBatch batch)
    {
        var hash = new XxHash128();
        Span<byte> buffer = stackalloc byte[512];
        foreach (var e in batch.Events)
        {
            var max = Encoding.UTF8.GetMaxByteCount(e.EventId.Length) + 1;
            var span = max <= buffer.Length ? buffer : new byte[max];
            var n = Encoding.UTF8.GetBytes(e.EventId, span);
            span[n] = (byte)'\n';
            hash.Append(span[..(n + 1)]);
        }

        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}
