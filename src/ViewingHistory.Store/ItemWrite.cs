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
