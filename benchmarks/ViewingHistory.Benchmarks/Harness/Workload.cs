using System.Globalization;
using System.Text;

namespace ViewingHistory.Benchmarks.Harness;

/// <summary>
/// The heartbeat-heavy workload: <see cref="ActiveSessions"/> sessions play at once, two per member, and the stream
/// visits them round-robin, one progress heartbeat each (a session's first event is its start). After
/// <see cref="HeartbeatsPerSession"/> heartbeats a slot starts a new session of another title, so rows keep growing.
/// Event number i is a pure function of (run, i): any process can make any slice of the stream, and every eventId
/// is unique, so nothing is dropped as a duplicate.
/// </summary>
public sealed record Workload(string Run, int ActiveSessions, int HeartbeatsPerSession = 60, int TitlesPerMember = 40)
{
    private static readonly string Timestamp = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>Appends events [first, first + count) as one JSON array.</summary>
    public void WriteBatch(StringBuilder sb, long first, int count)
    {
        sb.Append('[');
        for (var n = 0; n < count; n++)
        {
            if (n > 0)
            {
                sb.Append(',');
            }

            WriteEvent(sb, first + n);
        }

        sb.Append(']');
    }

    public void WriteEvent(StringBuilder sb, long i)
    {
        var slot = i % ActiveSessions;
        var round = i / ActiveSessions;
        var generation = round / HeartbeatsPerSession;
        var seq = round % HeartbeatsPerSession;
        var member = slot / 2;
        var title = ((generation * 2) + (slot % 2)) % TitlesPerMember;
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"{{\"eventId\":\"{Run}-{i}\",\"memberId\":\"{Run}m{member}\",\"titleId\":\"t{title}\",\"sessionId\":\"g{generation}s{slot}\",");
        sb.Append(inv, $"\"seq\":{seq},\"type\":\"{(seq == 0 ? "start" : "progress")}\",\"positionMs\":{seq * 30_000},\"durationMs\":3600000,\"timestamp\":\"{Timestamp}\"}}");
    }

    /// <summary>Event i as the ingest path hands it to the queue.</summary>
    public ViewingHistory.Core.Events.PlaybackEvent Event(long i, long timestampMs)
    {
        var (key, state) = Session(i, timestampMs);
        return new(state.HeadEventId, key.MemberId, key.TitleId, key.SessionId, state.HeadSeq,
            state.HeadSeq == 0 ? ViewingHistory.Core.Events.PlaybackEventType.Start : ViewingHistory.Core.Events.PlaybackEventType.Progress,
            state.PositionMs, state.DurationMs, state.HeadTimestampMs, null);
    }

    /// <summary>Event i as the store sees it after reduction: its session's key and state.</summary>
    public (ViewingHistory.Core.History.SessionKey Key, ViewingHistory.Core.History.SessionState State) Session(long i, long timestampMs)
    {
        var slot = i % ActiveSessions;
        var round = i / ActiveSessions;
        var generation = round / HeartbeatsPerSession;
        var seq = (int)(round % HeartbeatsPerSession);
        var title = ((generation * 2) + (slot % 2)) % TitlesPerMember;
        var inv = CultureInfo.InvariantCulture;
        var session = string.Create(inv, $"g{generation}s{slot}");
        return (
            new(string.Create(inv, $"{Run}m{slot / 2}"), string.Create(inv, $"t{title}"), session),
            new(session, timestampMs + seq, seq, timestampMs + seq, string.Create(inv, $"{Run}-{i}"), seq * 30_000L, 3_600_000));
    }

    /// <summary>
    /// One member's titles [firstTitle, firstTitle + count), one event each, for the read path: at 1,000 ms of an hour
    /// (progress 0.0003: not in progress), except every <paramref name="inProgressEvery"/>-th title (0: none), at half.
    /// </summary>
    public static void WriteItems(StringBuilder sb, string member, int firstTitle, int count, int inProgressEvery = 0)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.Append('[');
        for (var n = 0; n < count; n++)
        {
            var t = firstTitle + n;
            sb.Append(inv, $"{(n > 0 ? "," : "")}{{\"eventId\":\"{member}-{t}\",\"memberId\":\"{member}\",\"titleId\":\"t{t}\",\"sessionId\":\"s{t}\",");
            var position = inProgressEvery > 0 && t % inProgressEvery == 0 ? 1_800_000 : 1_000;
            sb.Append(inv, $"\"seq\":0,\"type\":\"start\",\"positionMs\":{position},\"durationMs\":3600000,\"timestamp\":\"{Timestamp}\"}}");
        }

        sb.Append(']');
    }
}
