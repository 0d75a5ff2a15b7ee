using System.Collections.Concurrent;
using System.Globalization;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;

namespace ViewingHistory.EndToEnd.Tests.Chaos;

/// <summary>
/// Concurrent clients of a chaos run and the model of what they did. Writers post batches of events with duplicates
/// (within a batch and of earlier batches, their own and other writers') and reordering (shuffled batches, events held
/// back for later batches, several writers advancing the same sessions), and now and then hide a title where the model
/// can place the hide. A request that gets no answer, or a 429/503, is resent until it gets its 202 (resending is always
/// safe), so every event generated ends up answered 202 and the expected history is exact:
/// <see cref="HistoryReducer.Compute"/> over <see cref="Acknowledged"/> and <see cref="Hides"/>.
/// </summary>
public sealed class ChaosWorkload
{
    private const int RecentCapacity = 2_000;
    private readonly ConcurrentDictionary<string, PlaybackEvent> _generated = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PlaybackEvent> _acknowledged = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<HideMark> _hides = new();
    private readonly ConcurrentDictionary<string, int> _answers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly PlaybackEvent[] _recent = new PlaybackEvent[RecentCapacity];
    private readonly Lock _recentLock = new();
    private readonly ChaosWriter[] _writers;
    private long _recentCount;
    private long _accepted;

    public ChaosWorkload(ChaosWorkloadOptions options, ChaosLog log)
    {
        Options = options;
        Log = log;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var pastBase = now - TimeSpan.FromHours(3).Ticks / TimeSpan.TicksPerMillisecond;
        var pastCeiling = now - 60_000;
        var random = new Random(options.Seed);
        var regular = new List<ChaosTitle>();
        var hideable = new List<ChaosTitle>[options.Writers];
        for (var w = 0; w < options.Writers; w++)
        {
            hideable[w] = [];
        }

        for (var m = 0; m < options.Members; m++)
        {
            var member = $"{options.Prefix}-m{m.ToString(CultureInfo.InvariantCulture)}";
            for (var t = 0; t < options.RegularTitles; t++)
            {
                regular.Add(new ChaosTitle(member, $"t{t.ToString(CultureInfo.InvariantCulture)}", random.Next(60_000, 10_800_000), hideable: false, pastBase, pastCeiling));
            }

            // A hideable title has a single owner, so that its hide and its events never race in the model.
            for (var t = 0; t < options.HideableTitles; t++)
            {
                hideable[m % options.Writers].Add(new ChaosTitle(member, $"h{t.ToString(CultureInfo.InvariantCulture)}", random.Next(60_000, 10_800_000), hideable: true, pastBase, pastCeiling));
            }
        }

        Members = [.. Enumerable.Range(0, options.Members).Select(m => $"{options.Prefix}-m{m.ToString(CultureInfo.InvariantCulture)}")];
        _writers = [.. Enumerable.Range(0, options.Writers).Select(w => new ChaosWriter(this, w, new Random(HashCode.Combine(options.Seed, w)), regular, hideable[w]))];
    }

    public ChaosWorkloadOptions Options { get; }

    public IReadOnlyList<string> Members { get; }

    /// <summary>Every event that was part of a batch answered 202, by event id.</summary>
    public ICollection<PlaybackEvent> Acknowledged => _acknowledged.Values;

    public IReadOnlyCollection<HideMark> Hides => _hides;

    /// <summary>Answers that break the contract or the workload's own rules (e.g. a 400 or a 500), each with how often it came.</summary>
    public IReadOnlyList<string> Failures =>
        [.. _failures.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} (×{f.Value.ToString(CultureInfo.InvariantCulture)})")];

    public long AcceptedRequests => Interlocked.Read(ref _accepted);

    internal ChaosLog Log { get; }

    /// <summary>Runs the writers until <paramref name="stop"/>, then lets each finish what it has in hand (its unanswered batch, its held-back events, a hide under way) within <paramref name="settleTimeout"/>.</summary>
    public async Task RunAsync(CancellationToken stop, TimeSpan settleTimeout)
    {
        using var settle = new CancellationTokenSource();
        await using var registration = stop.Register(() => settle.CancelAfter(settleTimeout));
        await Task.WhenAll(_writers.Select(w => Task.Run(() => w.RunAsync(stop, settle.Token), CancellationToken.None)));
        var unanswered = _generated.Keys.Where(id => !_acknowledged.ContainsKey(id)).Take(5).ToList();
        if (unanswered.Count > 0)
        {
            throw new InvalidOperationException($"The writers settled but these events never got a 202: {string.Join(", ", unanswered)}");
        }
    }

    /// <summary>"202 events n, requests: POST 202×a, POST no answer×b, ..." for the log.</summary>
    public string Summary() =>
        $"{_acknowledged.Count.ToString(CultureInfo.InvariantCulture)} events answered 202 of {_generated.Count.ToString(CultureInfo.InvariantCulture)} generated, {_hides.Count.ToString(CultureInfo.InvariantCulture)} hides; answers: " +
        string.Join(", ", _answers.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}×{a.Value.ToString(CultureInfo.InvariantCulture)}"));

    internal void Generated(PlaybackEvent e) => _generated[e.EventId] = e;

    internal void Acknowledge(IEnumerable<PlaybackEvent> events)
    {
        Interlocked.Increment(ref _accepted);
        foreach (var e in events)
        {
            _acknowledged[e.EventId] = e;
        }
    }

    internal void Hid(HideMark mark) => _hides.Enqueue(mark);

    internal void Answered(string what) => _answers.AddOrUpdate(what, 1, (_, n) => n + 1);

    internal void Failed(string what)
    {
        if (_failures.Count < 50 || _failures.ContainsKey(what))
        {
            _failures.AddOrUpdate(what, 1, (_, n) => n + 1);
        }
    }

    /// <summary>Remembers events sent by any writer, so that others can send them again.</summary>
    internal void Sent(IEnumerable<PlaybackEvent> events)
    {
        lock (_recentLock)
        {
            foreach (var e in events)
            {
                _recent[_recentCount++ % RecentCapacity] = e;
            }
        }
    }

    internal PlaybackEvent? SomeRecent(Random random)
    {
        lock (_recentLock)
        {
            return _recentCount == 0 ? null : _recent[random.NextInt64(Math.Min(_recentCount, RecentCapacity))];
        }
    }
}
