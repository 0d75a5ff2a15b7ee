using Microsoft.Extensions.Logging;
using ViewingHistory.Core.History;
using ViewingHistory.Pipeline.Observability;
using ViewingHistory.Store;

namespace ViewingHistory.Pipeline.Shadow;

/// <summary>
/// Compares members item by item between the authoritative (sync) store and the shadow store the async path
/// builds. The shadow path lags by design, so a member that differs is compared again until
/// <c>settle</c> passes: only differences that persist are reported (and counted in vh_shadow_mismatched_total).
/// </summary>
public sealed partial class ShadowComparer(StoreSet stores, VhMetrics metrics, TimeProvider time, ILogger<ShadowComparer> logger)
{
    private const int PageSize = 100;

    public bool Enabled => stores.Shadow is not null;

    public async Task<ComparisonReport> CompareMembersAsync(IReadOnlyCollection<string> members, TimeSpan settle, CancellationToken cancellationToken)
    {
        var shadow = stores.Shadow ?? throw new InvalidOperationException("Shadow comparison needs Pipeline:Mode=shadow.");
        var deadline = time.GetUtcNow() + settle;
        var items = 0;
        var pending = members.Distinct(StringComparer.Ordinal).ToList();
        var mismatches = new List<ItemMismatch>();
        while (true)
        {
            mismatches.Clear();
            var differing = new List<string>();
            foreach (var member in pending)
            {
                var (count, diff) = await CompareMemberAsync(stores.Primary, shadow, member, cancellationToken);
                items += count;
                if (diff.Count > 0)
                {
                    mismatches.AddRange(diff);
                    differing.Add(member);
                }
            }

            if (differing.Count == 0 || time.GetUtcNow() >= deadline)
            {
                break;
            }

            pending = differing;
            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken);
        }

        foreach (var m in mismatches)
        {
            LogMismatch(m.MemberId, m.TitleId, Describe(m.Primary), Describe(m.Shadow));
        }

        var report = new ComparisonReport(members.Count, items, mismatches.ToList());
        metrics.ShadowCompared(items, mismatches.Count);
        return report;
    }

    /// <summary>Every member that has an item in either store.</summary>
    public async Task<ComparisonReport> CompareAllAsync(TimeSpan settle, CancellationToken cancellationToken)
    {
        var shadow = stores.Shadow ?? throw new InvalidOperationException("Shadow comparison needs Pipeline:Mode=shadow.");
        var members = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var store in new[] { stores.Primary, shadow })
        {
            string? after = null;
            while (true)
            {
                var page = await store.ListMembersAsync(after, 1000, cancellationToken);
                members.UnionWith(page);
                if (page.Count < 1000)
                {
                    break;
                }

                after = page[^1];
            }
        }

        return await CompareMembersAsync(members, settle, cancellationToken);
    }

    private static async Task<(int Items, List<ItemMismatch> Mismatches)> CompareMemberAsync(
        IHistoryStore primary, IHistoryStore shadow, string member, CancellationToken cancellationToken)
    {
        // The erasure mark first: a shadow store without the primary's mark could still merge covered events, so it
        // gets the primary's mark (same T) before anything is compared; the items are then compared as they are.
        var primaryErasure = (await primary.ReadErasureAsync(member, cancellationToken))?.Erasure;
        if (primaryErasure is not null)
        {
            var marks = await shadow.ReadErasureMarksAsync([member], cancellationToken);
            if (!marks.TryGetValue(member, out var through) || through < primaryErasure.ErasedThroughMs)
            {
                await shadow.EraseMemberAsync(member, primaryErasure.RequestedAtMs, cancellationToken);
            }
        }

        var a = await ReadAllAsync(primary, member, cancellationToken);
        var b = await ReadAllAsync(shadow, member, cancellationToken);
        var mismatches = new List<ItemMismatch>();
        foreach (var title in a.Keys.Union(b.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            a.TryGetValue(title, out var x);
            b.TryGetValue(title, out var y);
            if (x != y)
            {
                mismatches.Add(new ItemMismatch(member, title, x, y));
            }
        }

        return (Math.Max(a.Count, b.Count), mismatches);
    }

    private static async Task<Dictionary<string, HistoryItem>> ReadAllAsync(IHistoryStore store, string member, CancellationToken cancellationToken)
    {
        var items = new Dictionary<string, HistoryItem>(StringComparer.Ordinal);
        HistoryCursor? cursor = null;
        do
        {
            var page = await store.ReadPageAsync(member, PageSize, cursor, cancellationToken);
            foreach (var item in page.Items)
            {
                items[item.TitleId] = item;
            }

            cursor = page.Next;
        }
        while (cursor is not null);
        return items;
    }

    private static string Describe(HistoryItem? item) => item is null
        ? "absent"
        : $"lastWatchedAt={item.LastWatchedAtMs} position={item.PositionMs}/{item.DurationMs} sessions={item.Sessions}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shadow mismatch for {MemberId}/{TitleId}: sync store {Primary}; shadow store {Shadow}")]
    private partial void LogMismatch(string memberId, string titleId, string primary, string shadow);
}
