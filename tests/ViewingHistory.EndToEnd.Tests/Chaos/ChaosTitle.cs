using ViewingHistory.Core.Events;

namespace ViewingHistory.EndToEnd.Tests.Chaos;

/// <summary>
/// One (member, title) of the chaos workload and the sessions played on it. A hideable title belongs to one writer,
/// which hides it at most once: every session played before the hide has timestamps in the past (well before the
/// hide's request), every session after it starts after the hide's answer, so the hide's server time, which the
/// client only knows to lie between its request and its answer, splits them the same way whatever it is exactly.
/// </summary>
public sealed class ChaosTitle(string memberId, string titleId, long durationMs, bool hideable, long pastBaseMs, long pastCeilingMs)
{
    private const int MaxSessions = 12;
    private readonly Lock _lock = new();
    private int _sessions;
    private string? _session;
    private long _sessionStartMs;
    private int _seq = -1;
    private int _seqLimit;
    private long _afterHideBaseMs = -1;

    public string MemberId { get; } = memberId;

    public string TitleId { get; } = titleId;

    public bool Hideable { get; } = hideable;

    public bool Hidden
    {
        get
        {
            lock (_lock)
            {
                return _afterHideBaseMs >= 0;
            }
        }
    }

    public bool Played
    {
        get
        {
            lock (_lock)
            {
                return _sessions > 0;
            }
        }
    }

    /// <summary>From now on new events go to new sessions that start after <paramref name="hideAnsweredMs"/>.</summary>
    public void MarkHidden(long hideAnsweredMs)
    {
        lock (_lock)
        {
            _afterHideBaseMs = hideAnsweredMs + 1_000;
            _session = null;
            _sessions = 0;
        }
    }

    /// <summary>The next event of one of the title's sessions: mostly the current one, sometimes a new one; now and then a repeated seq (a device glitch) to exercise the head's tie-breaks.</summary>
    public PlaybackEvent Next(string eventId, Random random)
    {
        lock (_lock)
        {
            var afterHide = _afterHideBaseMs >= 0;
            if (_session is null || (_seq >= _seqLimit && _sessions < MaxSessions) || (random.NextDouble() < 0.02 && _sessions < MaxSessions))
            {
                _session = (afterHide ? "a" : "s") + _sessions.ToString(System.Globalization.CultureInfo.InvariantCulture);
                _sessionStartMs = afterHide ? _afterHideBaseMs + (_sessions * 20_000L) : pastBaseMs + (_sessions * 600_000L);
                _sessions++;
                _seq = -1;
                _seqLimit = random.Next(5, 150);
            }

            var seq = _seq >= 0 && random.NextDouble() < 0.03 ? _seq : ++_seq;
            long timestamp;
            if (afterHide)
            {
                // Ahead of the hide's answer, and never further ahead of the server's clock than the contract allows.
                timestamp = Math.Min(_sessionStartMs + (seq * 100L) + random.Next(100), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 120_000);
            }
            else
            {
                // Below the ceiling, which is before any hide is requested.
                timestamp = Math.Min(_sessionStartMs + (seq * 1_000L) + random.Next(1_000), pastCeilingMs - random.Next(1_000));
            }

            var type = seq == 0 ? PlaybackEventType.Start : random.Next(10) switch
            {
                0 => PlaybackEventType.Pause,
                1 => PlaybackEventType.Resume,
                2 => PlaybackEventType.Stop,
                _ => PlaybackEventType.Progress,
            };

            // Up to the contract's bound (duration + 60 s), so progress is capped at 1 now and then.
            var position = random.NextInt64(0, durationMs + 60_001);
            return new PlaybackEvent(eventId, MemberId, TitleId, _session, seq, type, position, durationMs, timestamp, random.Next(4) == 0 ? null : "tv");
        }
    }
}
