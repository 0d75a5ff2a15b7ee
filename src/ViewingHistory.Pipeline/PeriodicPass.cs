using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ViewingHistory.Queue;

namespace ViewingHistory.Pipeline;

/// <summary>
/// A background pass over the store (or another engine) every interval, the first at start: a pass that fails (an
/// engine down) is logged as <paramref name="what"/> failing (paced by a <see cref="RetryLog"/>: a long outage is one
/// warning, one a minute while it lasts, and one line when it ends) and tried again at the next tick, since every pass of
/// this kind is idempotent and doing it late loses nothing. The feed's pruning, the erasure purge and the retirement of
/// erasure parts are passes.
/// </summary>
public abstract class PeriodicPass(TimeSpan interval, TimeProvider time, ILogger logger, string what) : BackgroundService
{
    private readonly RetryLog _failures = new(logger, what, LogLevel.Warning, time);

    /// <summary>The clock the passes tick on.</summary>
    protected TimeProvider Time { get; } = time;

    /// <summary>One pass; it logs what it did itself.</summary>
    protected abstract Task RunPassAsync(CancellationToken cancellationToken);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, Time);
        do
        {
            try
            {
                await RunPassAsync(stoppingToken);
                _failures.Succeeded();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _failures.Failed(ex, "trying again at the next interval");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
