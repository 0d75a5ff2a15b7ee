using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ViewingHistory.Queue.Tests;

/// <summary>
/// A retried operation's log during an outage: one warning with its exception when the run starts, one line a minute
/// while it lasts, Debug for the attempts between, and one line when it works again. Before it, a one-minute store
/// outage logged ~2,500 lines from one process.
/// </summary>
public sealed class RetryLogTests
{
    private static readonly InvalidOperationException StoreDown = new("the store is down");

    [Fact]
    public void A_long_outage_logs_its_start_one_line_a_minute_and_its_end()
    {
        var clock = new SetClock();
        var logger = new Recorder();
        var log = new RetryLog(logger, "Archive: writing events", LogLevel.Error, clock);

        // One attempt a second for 150 s: the first, then 149 more.
        for (var second = 0; second < 150; second++)
        {
            log.Failed(StoreDown, "42 events not acknowledged; retrying in 1 s");
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        log.Succeeded();

        var above = logger.Lines.Where(l => l.Level > LogLevel.Debug).ToList();
        Assert.Collection(
            above,
            first =>
            {
                Assert.Equal(LogLevel.Error, first.Level);
                Assert.Equal("Archive: writing events failed; 42 events not acknowledged; retrying in 1 s", first.Message);
                Assert.Same(StoreDown, first.Exception);
            },
            minute =>
            {
                Assert.Equal(LogLevel.Error, minute.Level);
                Assert.Equal(
                    "Archive: writing events still fails after 60 s and 61 attempts; 42 events not acknowledged; retrying in 1 s. Last error: InvalidOperationException: the store is down",
                    minute.Message);
                Assert.Null(minute.Exception);
            },
            twoMinutes => Assert.StartsWith("Archive: writing events still fails after 120 s and 121 attempts;", twoMinutes.Message, StringComparison.Ordinal),
            end =>
            {
                Assert.Equal(LogLevel.Information, end.Level);
                Assert.Equal("Archive: writing events works again, after 150 s and 150 failed attempts", end.Message);
            });

        // Every other attempt is still there for whoever turns Debug on, with its exception.
        var debug = logger.Lines.Where(l => l.Level == LogLevel.Debug).ToList();
        Assert.Equal(150 - 3, debug.Count);
        Assert.All(debug, l => Assert.Same(StoreDown, l.Exception));
    }

    [Fact]
    public void Success_while_nothing_fails_logs_nothing_and_a_new_outage_starts_a_new_run()
    {
        var clock = new SetClock();
        var logger = new Recorder();
        var log = new RetryLog(logger, "Spool: forwarding", LogLevel.Warning, clock);

        log.Succeeded();
        Assert.Empty(logger.Lines);
        Assert.False(log.Failing);

        log.Failed(StoreDown, "retrying in 1 s");
        Assert.True(log.Failing);
        clock.Advance(TimeSpan.FromSeconds(3));
        log.Succeeded();
        log.Succeeded();
        Assert.False(log.Failing);

        clock.Advance(TimeSpan.FromMinutes(10));
        log.Failed(StoreDown, "retrying in 1 s");

        Assert.Equal(
            [
                "Warning: Spool: forwarding failed; retrying in 1 s",
                "Information: Spool: forwarding works again, after 3 s and 1 failed attempts",
                "Warning: Spool: forwarding failed; retrying in 1 s",
            ],
            logger.Lines.Select(l => $"{l.Level}: {l.Message}"));
    }

    [Fact]
    public void Attempts_from_many_threads_are_counted_once_each_and_the_run_ends_once()
    {
        var clock = new SetClock();
        var logger = new Recorder();
        var log = new RetryLog(logger, "Receiving", LogLevel.Warning, clock);

        Parallel.For(0, 4_000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ => log.Failed(StoreDown, "retrying"));
        Parallel.For(0, 100, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ => log.Succeeded());

        Assert.Equal(4_000, logger.Lines.Count(l => l.Level != LogLevel.Information));
        var end = Assert.Single(logger.Lines, l => l.Level == LogLevel.Information);
        Assert.EndsWith("after 0 s and 4000 failed attempts", end.Message, StringComparison.Ordinal);
    }

    private sealed record Line(LogLevel Level, string Message, Exception? Exception);

    private sealed class Recorder : ILogger
    {
        private readonly ConcurrentQueue<Line> _lines = new();

        public IReadOnlyCollection<Line> Lines => _lines;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(new Line(logLevel, formatter(state, exception), exception));
    }

    private sealed class SetClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
