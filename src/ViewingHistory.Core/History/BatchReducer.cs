using ViewingHistory.Core.Events;

namespace ViewingHistory.Core.History;

/// <summary>
/// Coalesces a batch of events into one merged state per session: fifty heartbeats of one session
/// become one row write. Pure; the store merges the result into what it holds with the same merge.
/// </summary>
public static class BatchReducer
{
    /// <summary>
    /// The merged state of each session of <paramref name="events"/>, leaving out every event an erasure mark covers
    /// (<paramref name="erasedThrough"/>: E per member). Covered events are dropped here, before any merge: a state
    /// merged from a covered and an uncovered event could not be taken apart again.
    /// </summary>
    public static Dictionary<SessionKey, SessionState> ReduceSessions(IEnumerable<PlaybackEvent> events, IReadOnlyDictionary<string, long>? erasedThrough = null)
    {
        var sessions = new Dictionary<SessionKey, SessionState>();
        var marks = erasedThrough is { Count: > 0 } ? erasedThrough : null;
        foreach (var e in events)
        {
            if (marks is not null && marks.TryGetValue(e.MemberId, out var through) && ErasureMark.Covers(through, e.TimestampMs))
            {
                continue;
            }

            var key = new SessionKey(e.MemberId, e.TitleId, e.SessionId);
            var state = SessionState.Of(e);
            sessions[key] = sessions.TryGetValue(key, out var existing) ? SessionState.Merge(existing, state) : state;
        }

        return sessions;
    }
}
