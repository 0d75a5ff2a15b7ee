using ViewingHistory.Core.History;
using ViewingHistory.Store;

namespace ViewingHistory.Pipeline.Tests.Infrastructure;

/// <summary>
/// The test's own reads of a store the test has just faulted: switching PostgreSQL read-only (or back) terminates the
/// pooled connections, so the first read after it may meet a dead connection (57P01). A read is tried again then.
/// </summary>
public static class StoreReads
{
    public static async Task<HistoryItem?> ItemAsync(IHistoryStore store, string member, string title)
    {
        ArgumentNullException.ThrowIfNull(store);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await store.ReadItemAsync(member, title, CancellationToken.None);
            }
            catch (StoreUnavailableException) when (attempt < 5)
            {
            }
        }
    }
}
