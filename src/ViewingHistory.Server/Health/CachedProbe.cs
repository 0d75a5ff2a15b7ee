using ViewingHistory.Pipeline;

namespace ViewingHistory.Server.Health;

/// <summary>
/// One engine check as readiness asks it: a run started less than <see cref="MaxAge"/> ago is reused (finished or
/// still running), so a balancer polling every node often costs each engine at most one check a second, and
/// concurrent askers share one run. A run is bounded by <see cref="Timeout"/> through <see cref="Deadline"/>, since a
/// frozen engine ignores cancellation; whatever it throws or however long it hangs, the answer is "failing".
/// </summary>
internal sealed class CachedProbe(Func<CancellationToken, Task<bool>> check, TimeProvider time)
{
    /// <summary>How old a reused result may be (CONTRACT.md: results may be cached about a second).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    /// <summary>How long one check may take before it counts as failing.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private Task<bool>? _run;
    private long _startedAt;

    public Task<bool> CheckAsync()
    {
        lock (_gate)
        {
            if (_run is null || time.GetElapsedTime(_startedAt) >= MaxAge)
            {
                _startedAt = time.GetTimestamp();
                _run = RunAsync();
            }

            return _run;
        }
    }

    private async Task<bool> RunAsync()
    {
        // Off the caller's thread: a check that blocks before its first await must not run under the lock.
        await Task.Yield();
        try
        {
            // Shared by every asker, so no asker's cancellation may end it: the deadline bounds it instead.
            return await Deadline.RunAsync(check, Timeout, CancellationToken.None);
        }
        catch (Exception)
        {
            return false;
        }
    }
}
