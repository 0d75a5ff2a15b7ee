using System.Diagnostics;
using System.Threading.Channels;
using ViewingHistory.Core.Events;

namespace ViewingHistory.Cli.Simulation;

/// <summary>
/// One run of <c>vh simulate</c>: the fleet produces events at the requested rate (with bursts, duplicates and
/// reordering), senders deliver them with retries, hides are issued where asked, and at the end the server's history
/// is checked against the model. Returns the exit code: 0 a match, 1 a difference, 2 nothing could be verified.
/// </summary>
internal sealed class SimulationRunner(SimulationOptions options)
{
    private const int MeanStepMs = 45_000; // heartbeats of 5 to 60 s plus idle gaps, per event, roughly
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan FlushEvery = TimeSpan.FromMilliseconds(100);
    private static readonly long Y2000Ms = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private readonly SimulationStats _stats = new();
    private readonly SimulationModel _model = new();
    private readonly Random _random = new(options.Seed);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var client = new ServiceClient(options, _stats);
        var view = new ProgressView(_stats, options, options.Plain);
        try
        {
            await client.ConnectAsync(cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            Console.Error.WriteLine($"Cannot reach {options.Url}: {ex.Message}");
            return 2;
        }

        // Simulated time starts far enough back that the run, compressed, ends before the server's clock: device
        // timestamps may never be more than 5 minutes ahead of it (CONTRACT.md), and the fleet waits at that bound.
        var devices = Math.Max(1, options.Members * 1.35);
        var burst = options.Burst is { } b ? 1 + ((b.Multiplier - 1) * b.Length / b.Every) : 1;
        var spanMs = (long)(options.Rate * burst * options.Duration.TotalSeconds * MeanStepMs / devices);
        var startMs = Math.Max(Y2000Ms, client.ServerNowMs - (spanMs * 3 / 2) - (long)TimeSpan.FromMinutes(10).TotalMilliseconds);
        var fleet = new Fleet(options.Prefix, options.Members, startMs, _random);

        view.Say($"Simulating {options.Members} members ({options.Prefix}-m000 …) at {options.Rate:0} events/s for {options.Duration} against {options.Url}; seed {options.Seed}.");
        var run = GenerateAndSendAsync(fleet, client, cancellationToken);
        await view.RunAsync(run);
        var unknown = await run;

        view.Say($"Sent {_stats.Accepted:N0} events accepted (202) in {_stats.Batches:N0} batches, {_model.AcceptedEvents:N0} distinct; {_stats.Retries:N0} retries; {_model.Hides} hides. Checking the history of every member…");
        if (unknown > 0)
        {
            view.Say($"{unknown} batches were never answered: their members' histories cannot be known and are left out.");
        }

        var verdict = await new Verifier(client).VerifyAsync(_model, fleet.Members, options.Settle, view.Say, cancellationToken);
        foreach (var (member, why) in verdict.LeftOut.Take(10))
        {
            view.Say($"left out {member}: {why}");
        }

        if (!verdict.Matches)
        {
            foreach (var d in verdict.Differences.Take(20))
            {
                view.Say("  " + d);
            }

            view.Say($"VERDICT: MISMATCH: {verdict.Differences.Count} differences between the server's history and the model of CONTRACT.md, over {verdict.Members} members.");
            return 1;
        }

        if (verdict.Members == 0)
        {
            view.Say("VERDICT: INCONCLUSIVE: no member could be verified.");
            return 2;
        }

        view.Say($"VERDICT: MATCH: {verdict.Members} members, {verdict.Items} items: the server's history equals the model of CONTRACT.md" +
                 (verdict.LeftOut.Count > 0 ? $" ({verdict.LeftOut.Count} members left out)." : "."));
        var busiest = _model.Expected(fleet.Members).Expected.MaxBy(kv => kv.Value.Count).Key ?? fleet.Members[0];
        view.Say($"See one: vh token --member {busiest}   then open {new Uri(options.Url, "/activity/")}");
        return 0;
    }

    /// <summary>Returns how many batches were never answered.</summary>
    private async Task<int> GenerateAndSendAsync(Fleet fleet, ServiceClient client, CancellationToken cancellationToken)
    {
        var batches = Channel.CreateBounded<List<PlaybackEvent>>(new BoundedChannelOptions(options.Concurrency * 4) { SingleReader = false, SingleWriter = true });
        var giveUpAt = DateTime.UtcNow + options.Duration + options.Settle;
        var unknown = 0;
        var senders = Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(
            async () =>
            {
                await foreach (var batch in batches.Reader.ReadAllAsync(cancellationToken))
                {
                    switch (await client.SendAsync(batch, giveUpAt, cancellationToken))
                    {
                        case BatchOutcome.Accepted:
                            _model.Accept(batch);
                            break;
                        case BatchOutcome.Unknown:
                            Interlocked.Increment(ref unknown);
                            foreach (var member in batch.Select(e => e.MemberId).Distinct())
                            {
                                _model.Unknowable(member, "a batch of its events was never answered");
                            }

                            break;
                    }
                }
            },
            cancellationToken)).ToList();

        var hides = new List<Task>();
        var hideTimes = HideSchedule();
        var pending = new List<PlaybackEvent>(options.Batch);
        var later = new List<(TimeSpan At, PlaybackEvent Event)>();
        var clock = Stopwatch.StartNew();
        var lastFlush = TimeSpan.Zero;
        var lastTick = TimeSpan.Zero;
        double budget = 0;
        while (clock.Elapsed < options.Duration)
        {
            var now = clock.Elapsed;
            var rate = options.Rate * (options.Burst?.MultiplierAt(now) ?? 1);
            budget = Math.Min(budget + (rate * (now - lastTick).TotalSeconds), Math.Max(1, rate / 4));
            lastTick = now;
            var capMs = client.ServerNowMs + (long)TimeSpan.FromMinutes(4).TotalMilliseconds;
            while (budget >= 1 && fleet.NextAtMs <= capMs)
            {
                budget--;
                var e = fleet.Next();
                _stats.OnGenerated();
                _stats.SimulatedNowMs = e.TimestampMs;
                if (_random.NextDouble() < options.ReorderRate)
                {
                    _stats.OnReordered();
                    later.Add((now + TimeSpan.FromMilliseconds(_random.Next(100, 1500)), e));
                }
                else
                {
                    pending.Add(e);
                }

                if (_random.NextDouble() < options.DuplicateRate)
                {
                    _stats.OnDuplicate();
                    later.Add((now + TimeSpan.FromMilliseconds(_random.Next(50, 3000)), e));
                }

                if (pending.Count >= options.Batch)
                {
                    await FlushAsync(batches.Writer, pending, cancellationToken);
                    lastFlush = now;
                }
            }

            for (var i = later.Count - 1; i >= 0; i--)
            {
                if (later[i].At <= now)
                {
                    pending.Add(later[i].Event);
                    later.RemoveAt(i);
                }
            }

            if (pending.Count >= options.Batch || (pending.Count > 0 && now - lastFlush >= FlushEvery))
            {
                await FlushAsync(batches.Writer, pending, cancellationToken);
                lastFlush = now;
            }

            if (hideTimes.Count > 0 && hideTimes.Peek() <= now)
            {
                hideTimes.Dequeue();
                hides.Add(HideAsync(fleet, client, cancellationToken));
            }

            await Task.Delay(Tick, cancellationToken);
        }

        pending.AddRange(later.Select(l => l.Event));
        await FlushAsync(batches.Writer, pending, cancellationToken);
        batches.Writer.Complete();
        await Task.WhenAll(senders);
        await Task.WhenAll(hides);
        return unknown;
    }

    private async Task FlushAsync(ChannelWriter<List<PlaybackEvent>> writer, List<PlaybackEvent> pending, CancellationToken cancellationToken)
    {
        for (var i = 0; i < pending.Count; i += options.Batch)
        {
            await writer.WriteAsync(pending.GetRange(i, Math.Min(options.Batch, pending.Count - i)), cancellationToken);
        }

        pending.Clear();
    }

    /// <summary>A few hides spread over the middle of the run (none when --hides is off).</summary>
    private Queue<TimeSpan> HideSchedule()
    {
        if (!options.Hides)
        {
            return new Queue<TimeSpan>();
        }

        var count = Math.Clamp(options.Members / 4, 1, 20);
        return new Queue<TimeSpan>(Enumerable.Range(1, count).Select(i => options.Duration * (0.2 + (0.6 * i / (count + 1)))));
    }

    /// <summary>
    /// Hides one title of a member (or, one time in three, everything). The model places the hide at the server time
    /// it was accepted; simulated time runs behind the server's clock, so sessions before it are hidden and the
    /// member's later sessions are placed by their own timestamps.
    /// </summary>
    private async Task HideAsync(Fleet fleet, ServiceClient client, CancellationToken cancellationToken)
    {
        var member = fleet.Members[_random.Next(fleet.Members.Count)];
        var titles = _model.TitlesOf(member);
        string? title = titles.Count > 0 && _random.NextDouble() >= 1.0 / 3 ? titles[_random.Next(titles.Count)] : null;
        _stats.OnHide();
        var accepted = await client.HideAsync(member, title, cancellationToken);
        if (accepted is { } window)
        {
            _model.Hidden(member, title, window.FromMs, window.ToMs);
        }
        else
        {
            _model.Unknowable(member, "a hide was never answered");
        }
    }
}
