using ViewingHistory.Core.History;

namespace ViewingHistory.Store;

/// <summary>What recomputing one item asks the store to write.</summary>
internal enum ItemWrite
{
    /// <summary>Nothing differs.</summary>
    None,

    /// <summary>Only the latest session id differs: update the row, report nothing.</summary>
    RowOnly,

    /// <summary>The contract's item differs (new, updated or gone): write it and record a change.</summary>
    Change,
}

internal static class ItemWrites
{
    public static ItemWrite Classify(StoredItem? before, StoredItem? after)
    {
        if (before is null && after is null)
        {
            return ItemWrite.None;
        }

        if (before is null || after is null || before.Item != after.Item)
        {
            return ItemWrite.Change;
        }

        return before.LatestSessionId == after.LatestSessionId ? ItemWrite.None : ItemWrite.RowOnly;
    }
}

/// <summary>
/// The rows and changes that recomputing some items asks of a store: each item is folded from its sessions and
/// effective hide mark (<see cref="StoredItem.Compute"/>) and compared with what is stored. Both engines write
/// exactly this plan, each in its own set-based way.
/// </summary>
internal sealed class ItemWritePlan
{
    public List<(ItemKey Key, StoredItem Item)> Upserts { get; } = [];

    public List<ItemKey> Deletes { get; } = [];

    public List<(ItemKey Key, HistoryItem? Item)> Changes { get; } = [];

    public bool IsEmpty => Upserts.Count == 0 && Deletes.Count == 0;

    public static ItemWritePlan For(
        IEnumerable<ItemKey> keys,
        Func<ItemKey, StoredItem?> stored,
        Func<ItemKey, IReadOnlyCollection<SessionState>> sessions,
        IReadOnlyDictionary<string, long> memberMarks,
        IReadOnlyDictionary<ItemKey, long> titleMarks)
    {
        var plan = new ItemWritePlan();
        foreach (var key in keys)
        {
            long? memberMark = memberMarks.TryGetValue(key.MemberId, out var mm) ? mm : null;
            long? titleMark = titleMarks.TryGetValue(key, out var tm) ? tm : null;
            var after = StoredItem.Compute(key.TitleId, sessions(key), ItemComputer.EffectiveMark(memberMark, titleMark));
            var write = ItemWrites.Classify(stored(key), after);
            if (write == ItemWrite.None)
            {
                continue;
            }

            if (after is null)
            {
                plan.Deletes.Add(key);
            }
            else
            {
                plan.Upserts.Add((key, after));
            }

            if (write == ItemWrite.Change)
            {
                plan.Changes.Add((key, after?.Item));
            }
        }

        return plan;
    }
}
