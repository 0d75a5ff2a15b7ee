using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;
using ViewingHistory.Core.Events;

namespace ViewingHistory.Cli.Simulation;

/// <summary>Live progress of a run: a Spectre.Console table on a terminal, a plain line every 2 s when output is redirected.</summary>
internal sealed class ProgressView(SimulationStats stats, SimulationOptions options, bool plain)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastAccepted;
    private double _lastAt;
    private double _rate;

    public async Task RunAsync(Task work)
    {
        if (plain)
        {
            while (await Task.WhenAny(work, Task.Delay(2000)) != work)
            {
                Console.WriteLine(Line());
            }

            Console.WriteLine(Line());
            await work;
            return;
        }

        await AnsiConsole.Live(Table()).AutoClear(false).StartAsync(async ctx =>
        {
            while (await Task.WhenAny(work, Task.Delay(500)) != work)
            {
                ctx.UpdateTarget(Table());
            }

            ctx.UpdateTarget(Table());
        });
        await work;
    }

    public void Say(string message)
    {
        if (plain)
        {
            Console.WriteLine(message);
        }
        else
        {
            AnsiConsole.MarkupLine(Markup.Escape(message));
        }
    }

    private double AcceptedRate()
    {
        var now = _clock.Elapsed.TotalSeconds;
        var accepted = stats.Accepted;
        if (now - _lastAt >= 0.9)
        {
            _rate = (accepted - _lastAccepted) / (now - _lastAt);
            _lastAccepted = accepted;
            _lastAt = now;
        }

        return _rate;
    }

    private string SimulatedTime() => stats.SimulatedNowMs == 0 ? "-" : Timestamps.Format(stats.SimulatedNowMs)[..19].Replace('T', ' ') + "Z";

    private string Line() => string.Create(
        CultureInfo.InvariantCulture,
        $"[{_clock.Elapsed:mm\\:ss}] rate {AcceptedRate():0}/s (target {options.Rate:0}) accepted {stats.Accepted} sent {stats.Sent} generated {stats.Generated} duplicates {stats.Duplicates} reordered {stats.Reordered} retries {stats.Retries} errors {stats.Errors} hides {stats.HidesIssued} simulated {SimulatedTime()}{(stats.LastError.Length > 0 ? " last error: " + stats.LastError : string.Empty)}");

    private IRenderable Table()
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"vh simulate · {Markup.Escape(options.Url.ToString())} · {options.Members} members")
            .AddColumn("what").AddColumn(new TableColumn("value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("elapsed", $"{_clock.Elapsed:mm\\:ss} of {options.Duration:mm\\:ss}");
        Row("accepted rate", string.Create(CultureInfo.InvariantCulture, $"{AcceptedRate():0} events/s (target {options.Rate:0}{(options.Burst is null ? string.Empty : $", bursts {options.Burst}")})"));
        Row("accepted (202)", stats.Accepted.ToString("N0", CultureInfo.InvariantCulture));
        Row("sent", stats.Sent.ToString("N0", CultureInfo.InvariantCulture));
        Row("duplicates / reordered", $"{stats.Duplicates:N0} / {stats.Reordered:N0}");
        Row("retries (429/503/connection)", stats.Retries.ToString("N0", CultureInfo.InvariantCulture));
        Row("errors", stats.Errors.ToString("N0", CultureInfo.InvariantCulture));
        Row("hides", stats.HidesIssued.ToString("N0", CultureInfo.InvariantCulture));
        Row("simulated time", SimulatedTime());
        if (stats.LastError.Length > 0)
        {
            Row("last error", stats.LastError.Length > 80 ? stats.LastError[..80] + "…" : stats.LastError);
        }

        return table;
    }
}
