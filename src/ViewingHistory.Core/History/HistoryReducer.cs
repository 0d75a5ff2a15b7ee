using ViewingHistory.Core.Events;

namespace ViewingHistory.Core.History;

/// <summary>
/// The contract's definition of the history as a pure function of the set of accepted events, the
/// hide marks and the erasure marks. The stores compute the same thing incrementally; tests hold them to this.
/// </summary>
public static class HistoryReducer
{
    /// <summary>
    /// Every member's items, in page order. Members with no item are absent. An erasure mark drops every event it
    /// covers (timestamp at or before its E) and every hide mark at or before E: such a hide can no longer change
    /// anything, since every event left is later than it, and the store deletes it with the erasure.
    /// </summary>
    public static SortedDictionary<string, List<HistoryItem>> Compute(IEnumerable<PlaybackEvent> events, IEnumerable<HideMark> hides, IEnumerable<ErasureMark>? erasures = null)
    {
        var erased = ErasureMark.InForce(erasures);
        var memberMarks = new Dictionary<string, long>();
        var titleMarks = new Dictionary<ItemKey, long>();
        foreach (var h in hides)
        {
            if (erased.TryGetValue(h.MemberId, out var through) && h.AtMs <= through)
            {
                continue;
            }

            if (h.TitleId is null)
            {
                memberMarks[h.MemberId] = memberMarks.TryGetValue(h.MemberId, out var m) ? Math.Max(m, h.AtMs) : h.AtMs;
            }
            else
            {
                var key = new ItemKey(h.MemberId, h.TitleId);
                titleMarks[key] = titleMarks.TryGetValue(key, out var m) ? Math.Max(m, h.AtMs) : h.AtMs;
            }
        }

        var byItem = BatchReducer.ReduceSessions(events, erased)
            .GroupBy(kv => kv.Key.Item, kv => kv.Value);

        var result = new SortedDictionary<string, List<HistoryItem>>(StringComparer.Ordinal);
        foreach (var group in byItem)
        {
            long? memberMark = memberMarks.TryGetValue(group.Key.MemberId, out var mm) ? mm : null;
            long? titleMark = titleMarks.TryGetValue(group.Key, out var tm) ? tm : null;
            var item = ItemComputer.Compute(group.Key.TitleId, group, ItemComputer.EffectiveMark(memberMark, titleMark));
            if (item is null)
            {
                continue;
            }

            if (!result.TryGetValue(group.Key.MemberId, out var items))
            {
                result[group.Key.MemberId] = items = [];
            }

            items.Add(item);
        }

        foreach (var items in result.Values)
        {
            items.Sort(HistoryOrder.Instance);
        }

        return result;
    }
}
