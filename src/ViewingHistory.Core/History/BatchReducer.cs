using ViewingHistory.Core.Events;

namespace ViewingHistory.Core.History;

/// <summary>
/// Coalesces a batch of events into one merged state per session: fifty heartbeats of one session
/// become one row write. Pure; the store merges the result into what it holds with the same merge.
/// </summary>
public static class BatchReducer
{
    public static Dictionary<SessionKey, SessionState> ReduceSessions(IEnumerable<PlaybackEvent> events)
    {
        var sessions = new Dictionary<SessionKey, SessionState>();
        foreach (var e in events)
        {
            var key = new SessionKey(e.MemberId, e.TitleId, e.SessionId);
            var state = SessionState.Of(e);
            sessions[key] = sessions.TryGetValue(key, out var existing) ? SessionState.Merge(existing, state) : state;
        }

        return sessions;
    }
}
