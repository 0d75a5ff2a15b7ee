using ViewingHistory.Core.Events;

namespace ViewingHistory.Cli.Simulation;

/// <summary>
/// The simulated members and their devices. Each device lives on its own simulated timeline (sessions with a start,
/// heartbeats every 5 to 60 s, pauses and resumes, seeks, a stop or an abandonment, then an idle gap), and the fleet
/// hands out events earliest first, so simulated time runs as fast as the requested rate needs: time is compressed.
/// </summary>
internal sealed class Fleet
{
    private static readonly string[] DeviceKinds = ["tv", "phone", "tablet", "laptop", "console"];
    private static readonly int[] HeartbeatSeconds = [5, 10, 15, 30, 60];

    private readonly Random _random;
    private readonly string _prefix;
    private readonly PriorityQueue<Device, long> _due = new();
    private long _eventCounter;

    public Fleet(string prefix, int members, long startMs, Random random)
    {
        _random = random;
        _prefix = prefix;
        for (var m = 0; m < members; m++)
        {
            var member = new Member($"{prefix}-m{m:000}");
            Members.Add(member.Id);
            var devices = random.NextDouble() < 0.35 ? 2 : 1;
            for (var d = 0; d < devices; d++)
            {
                var device = new Device(member, $"{DeviceKinds[random.Next(DeviceKinds.Length)]}-{m:000}{d}", startMs + random.NextInt64(600_000));
                _due.Enqueue(device, device.NextAtMs);
            }
        }
    }

    public List<string> Members { get; } = [];

    /// <summary>The simulated time of the next event (the earliest device).</summary>
    public long NextAtMs => _due.TryPeek(out _, out var at) ? at : long.MaxValue;

    /// <summary>The earliest device's next event. The caller checks <see cref="NextAtMs"/> against the clock cap first.</summary>
    public PlaybackEvent Next()
    {
        var device = _due.Dequeue();
        var e = Step(device);
        _due.Enqueue(device, device.NextAtMs);
        return e;
    }

    private PlaybackEvent Step(Device device)
    {
        var now = device.NextAtMs;
        var s = device.Session;
        if (s is null)
        {
            var resumable = device.Member.Resumable;
            var (title, duration) = Catalog.Pick(_random);
            if (resumable.Count > 0 && _random.NextDouble() < 0.4)
            {
                var unfinished = resumable.ElementAt(_random.Next(resumable.Count));
                (title, duration) = (unfinished.Key, unfinished.Value.DurationMs);
            }

            var position = resumable.TryGetValue(title, out var resume) ? resume.PositionMs : 0;
            s = device.Session = new Session(title, $"{device.Id}-{++device.Sessions}", duration, position, HeartbeatSeconds[_random.Next(HeartbeatSeconds.Length)] * 1000L);
            return Emit(device, PlaybackEventType.Start, now, s.HeartbeatMs);
        }

        if (s.Paused)
        {
            s.Paused = false;
            return Emit(device, PlaybackEventType.Resume, now, s.HeartbeatMs);
        }

        // Playback since the last event (heartbeats measure watched time; the player is at speed 1).
        s.PositionMs = Math.Min(s.DurationMs, s.PositionMs + (now - s.LastAtMs));
        if (s.PositionMs >= s.DurationMs)
        {
            return End(device, PlaybackEventType.Stop, now);
        }

        var roll = _random.NextDouble();
        if (roll < 0.02)
        {
            // Abandoned: the app is killed or the network drops; no stop ever arrives.
            device.Member.Resumable[s.TitleId] = (s.PositionMs, s.DurationMs);
            device.Session = null;
            device.NextAtMs = now + IdleGap();
            return Emit(device, PlaybackEventType.Progress, now, 0, keepSession: true, session: s);
        }

        if (roll < 0.05)
        {
            return End(device, PlaybackEventType.Stop, now);
        }

        if (roll < 0.12)
        {
            s.Paused = true;
            return Emit(device, PlaybackEventType.Pause, now, _random.NextInt64(20_000, 600_000));
        }

        if (roll < 0.17)
        {
            s.PositionMs = Math.Clamp(s.PositionMs + _random.NextInt64(-300_000, 900_000), 0, s.DurationMs);
        }

        return Emit(device, PlaybackEventType.Progress, now, s.HeartbeatMs);
    }

    private PlaybackEvent End(Device device, PlaybackEventType type, long now)
    {
        var s = device.Session!;
        if (s.PositionMs >= s.DurationMs * 9 / 10)
        {
            device.Member.Resumable.Remove(s.TitleId);
        }
        else
        {
            device.Member.Resumable[s.TitleId] = (s.PositionMs, s.DurationMs);
        }

        device.Session = null;
        device.NextAtMs = now + IdleGap();
        return Emit(device, type, now, 0, keepSession: true, session: s);
    }

    private long IdleGap() => _random.NextInt64(60_000, 1_800_000);

    private PlaybackEvent Emit(Device device, PlaybackEventType type, long now, long nextInMs, bool keepSession = false, Session? session = null)
    {
        var s = session ?? device.Session!;
        s.LastAtMs = now;
        var e = new PlaybackEvent(
            $"{_prefix}-e{++_eventCounter}",
            device.Member.Id,
            s.TitleId,
            s.SessionId,
            s.Seq++,
            type,
            s.PositionMs,
            s.DurationMs,
            now,
            device.Id);
        if (!keepSession)
        {
            device.NextAtMs = now + nextInMs;
        }

        return e;
    }

    private sealed class Member(string id)
    {
        public string Id { get; } = id;

        /// <summary>Titles left unfinished, where the next session on any device resumes.</summary>
        public Dictionary<string, (long PositionMs, long DurationMs)> Resumable { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Device(Member member, string id, long nextAtMs)
    {
        public Member Member { get; } = member;

        public string Id { get; } = id;

        public long NextAtMs { get; set; } = nextAtMs;

        public Session? Session { get; set; }

        public int Sessions { get; set; }
    }

    private sealed class Session(string titleId, string sessionId, long durationMs, long positionMs, long heartbeatMs)
    {
        public string TitleId { get; } = titleId;

        public string SessionId { get; } = sessionId;

        public long DurationMs { get; } = durationMs;

        public long PositionMs { get; set; } = positionMs;

        public long HeartbeatMs { get; } = heartbeatMs;

        public long LastAtMs { get; set; }

        public int Seq { get; set; }

        public bool Paused { get; set; }
    }
}
