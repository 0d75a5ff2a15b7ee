using Microsoft.Extensions.Logging;

namespace ViewingHistory.Queue;

/// <summary>
/// Paces the log of an operation, <paramref name="what"/> ("Archive: writing events"), that is retried until it works
/// again (an engine down, a volume full). The first failure of a run is logged in full, with its exception; then one
/// line a minute says it still fails, for how long, after how many attempts, and the last error's message; the end of
/// the run is logged once, at Information. Every other failure goes to Debug, with its exception. Before it, a one-minute PostgreSQL outage
/// wrote ~2,500 lines from one all-roles process: the archive alone logged a full stack trace every second.
/// Thread-safe; <see cref="Succeeded"/> costs one volatile read while nothing fails, so it can sit on the hot path.
/// </summary>
public sealed partial class RetryLog(ILogger logger, string what, LogLevel level = LogLevel.Warning, TimeProvider? time = null)
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private volatile bool _failing;
    private DateTimeOffset _since;
    private DateTimeOffset _lastReported;
    private long _attempts;

    /// <summary>True while the latest attempt failed.</summary>
    public bool Failing => _failing;

    /// <summary>Records a failed attempt; <paramref name="next"/> says what happens now ("423 events not acknowledged; retrying in 1 s").</summary>
    public void Failed(Exception exception, string next)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            _attempts++;
            if (!_failing)
            {
                _failing = true;
                _since = _lastReported = now;
                LogFirst(logger, level, exception, what, next);
                return;
            }

            if (now - _lastReported >= Every)
            {
                _lastReported = now;
                LogStill(logger, level, what, (now - _since).TotalSeconds, _attempts, next, exception.GetType().Name, exception.Message);
                return;
            }
        }

        LogAgain(logger, exception, what, next);
    }

    /// <summary>Records an attempt that worked: ends a run of failures (logged once), or does nothing.</summary>
    public void Succeeded()
    {
        if (!_failing)
        {
            return;
        }

        double seconds;
        long attempts;
        lock (_lock)
        {
            if (!_failing)
            {
                return;
            }

            _failing = false;
            seconds = (_time.GetUtcNow() - _since).TotalSeconds;
            attempts = _attempts;
            _attempts = 0;
        }

        LogRecovered(logger, what, seconds, attempts);
    }

    [LoggerMessage(EventId = 9101, Message = "{What} failed; {Next}")]
    private static partial void LogFirst(ILogger logger, LogLevel level, Exception exception, string what, string next);

    [LoggerMessage(EventId = 9102, Message = "{What} still fails after {Seconds:0} s and {Attempts} attempts; {Next}. Last error: {ErrorType}: {Error}")]
    private static partial void LogStill(ILogger logger, LogLevel level, string what, double seconds, long attempts, string next, string errorType, string error);

    [LoggerMessage(EventId = 9103, Level = LogLevel.Debug, Message = "{What} failed again; {Next}")]
    private static partial void LogAgain(ILogger logger, Exception exception, string what, string next);

    [LoggerMessage(EventId = 9104, Level = LogLevel.Information, Message = "{What} works again, after {Seconds:0.#} s and {Attempts} failed attempts")]
    private static partial void LogRecovered(ILogger logger, string what, double seconds, long attempts);
}
