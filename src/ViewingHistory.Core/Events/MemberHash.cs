using System.IO.Hashing;
using System.Text;

namespace ViewingHistory.Core.Events;

/// <summary>
/// A stable hash of a member id: the same in every process and on every machine
/// (unlike <see cref="string.GetHashCode()"/>). Partitioning by member and the rollout percentage use it.
/// </summary>
public static class MemberHash
{
    public static ulong Of(string memberId)
    {
        // Member ids are validated to at most 64 ASCII chars; the fallback keeps odd callers safe.
        var max = Encoding.UTF8.GetMaxByteCount(memberId.Length);
        Span<byte> buffer = max <= 512 ? stackalloc byte[max] : new byte[max];
        var count = Encoding.UTF8.GetBytes(memberId, buffer);
        return XxHash64.HashToUInt64(buffer[..count]);
    }

    /// <summary>Which of <paramref name="partitions"/> partitions the member belongs to.</summary>
    public static int Partition(string memberId, int partitions) => (int)(Of(memberId) % (ulong)partitions);

    /// <summary>The member's bucket in 0..99, for percentage rollouts.</summary>
    public static int Percentile(string memberId) => (int)(Of(memberId) % 100);
}
