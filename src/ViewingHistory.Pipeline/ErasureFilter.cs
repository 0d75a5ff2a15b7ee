using System.Collections.Concurrent;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using ViewingHistory.Store;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Pipeline;

/// <summary>
/// Applies events to one store with the erasure marks in force: the events are reduced against the marks this filter
/// knows (covered events dropped before any merge), and the store, which reads the marks under the members' locks,
/// refuses a batch reduced against marks older than its own (<see cref="StaleErasureMarksException"/>); the filter then
/// learns the store's marks and reduces again. So every path (sync, shadow, async, dead-letter replays) drops covered
/// events however late they come, and the common case (no erasure among the batch's members) costs nothing extra.
/// </summary>
public sealed class ErasureFilter
{
    private readonly ConcurrentDictionary<string, long> _marks = new(StringComparer.Ordinal);

    /// <summary>The marks learnt so far (E per member): only members some batch met.</summary>
    public IReadOnlyDictionary<string, long> Known => _marks;

    public async Task<ApplyResult> ApplyAsync(IHistoryStore store, IReadOnlyList<PlaybackEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        while (true)
        {
            // A copy: other callers may learn marks meanwhile, and the check below must know what this reduction used.
            var used = _marks.IsEmpty ? null : new Dictionary<string, long>(_marks, StringComparer.Ordinal);
            var sessions = BatchReducer.ReduceSessions(events, used);
            try
            {
                return await store.ApplyAsync(sessions, cancellationToken);
            }
            catch (StaleErasureMarksException e)
            {
                if (e.ErasedThrough.All(m => used is not null && used.TryGetValue(m.Key, out var known) && known >= m.Value))
                {
                    // The store refused marks this reduction already applied: retrying would be refused again forever.
                    throw new InvalidOperationException("The store refused a batch reduced against the erasure marks it reported.", e);
                }

                Learn(e.ErasedThrough);
            }
        }
    }

    /// <summary>Raises the known marks to <paramref name="marks"/> (a mark never moves back).</summary>
    public void Learn(IReadOnlyDictionary<string, long> marks)
    {
        ArgumentNullException.ThrowIfNull(marks);
        foreach (var (member, through) in marks)
        {
            _marks.AddOrUpdate(member, through, (_, old) => Math.Max(old, through));
        }
    }
}
