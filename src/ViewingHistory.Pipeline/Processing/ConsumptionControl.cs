namespace ViewingHistory.Pipeline.Processing;

/// <summary>
/// An operator's pause of this process's queue consumers: the history processors (and shadow processor) and the
/// archive stop fetching new deliveries; what they already hold is finished and acknowledged. Ingest goes on, the
/// durable queue keeps what arrives (the lag grows), and consumption resumes where it stopped. For store maintenance,
/// and for measuring what the queue absorbs with nothing draining it. Not persisted: a restart runs the consumers.
/// </summary>
public sealed class ConsumptionControl
{
    private TaskCompletionSource? _paused;

    /// <summary>True while consumption is paused.</summary>
    public bool IsPaused => Volatile.Read(ref _paused) is not null;

    /// <summary>Pauses consumption (nothing changes when it is already paused).</summary>
    public void Pause() =>
        Interlocked.CompareExchange(ref _paused, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    /// <summary>Resumes consumption (nothing changes when it is running).</summary>
    public void Resume() => Interlocked.Exchange(ref _paused, null)?.TrySetResult();

    /// <summary>Completes at once when running; while paused, when consumption resumes or after <paramref name="atMost"/>.</summary>
    public async Task WaitWhilePausedAsync(TimeSpan atMost, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _paused) is not { } paused)
        {
            return;
        }

        try
        {
            await paused.Task.WaitAsync(atMost, time, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
    }
}
