using Microsoft.Extensions.Hosting;

namespace ViewingHistory.Pipeline;

/// <summary>
/// A background pass over the store (or another engine) every interval, the first at start: a pass that fails (an
/// engine down) is reported through <see cref="OnPassFailed"/> and tried again at the next tick, since every pass of
/// this kind is idempotent and doing it late loses nothing. The feed's pruning, the erasure purge and the retirement of
/// erasure parts are passes.
/// </summary>
public abstract class PeriodicPass(TimeSpan interval, TimeProvider time) : BackgroundService
{
    /// <summary>The clock the passes tick on.</summary>
    protected TimeProvider Time { get; } = time;

    /// <summary>One pass; it logs what it did itself.</summary>
    protected abstract Task RunPassAsync(CancellationToken cancellationToken);

    /// <summary>Logs a failed pass (the next interval tries again).</summary>
    protected abstract void OnPassFailed(Exception exception);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, Time);
        do
        {
            try
            {
                await RunPassAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                OnPassFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
