using ViewingHistory.Core.Events;

namespace ViewingHistory.Pipeline.Tests.Infrastructure;

/// <summary>Accepted batches of one event each, with ids of their own.</summary>
public static class Batches
{
    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>A new member id that lives on <paramref name="shard"/> of <paramref name="shards"/> store shards.</summary>
    public static string NewMemberOnShard(int shard, string prefix, int shards = 2)
    {
        while (true)
        {
            var id = NewId(prefix);
            if (MemberHash.Partition(id, shards) == shard)
            {
                return id;
            }
        }
    }

    public static AcceptedBatch One(string member, string title)
    {
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return new AcceptedBatch(at, [new PlaybackEvent(NewId("e"), member, title, "s1", 0, PlaybackEventType.Progress, 1_000, 100_000, at, null)]);
    }
}
