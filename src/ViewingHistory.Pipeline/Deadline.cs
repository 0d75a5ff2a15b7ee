namespace ViewingHistory.Pipeline;

/// <summary>
/// Runs an engine call with a hard deadline. Cancelling is not enough: a frozen PostgreSQL (SIGSTOP) never answers
/// the driver's cancel request either, so a cancelled call can hang on far past its token. The caller gets control
/// back at the deadline whatever the call does; the abandoned call is left to end on its own and its failure is
/// observed, never thrown unobserved.
/// </summary>
public static class Deadline
{
    /// <exception cref="TimeoutException">The call did not finish within <paramref name="timeout"/>.</exception>
    public static Task RunAsync(Func<CancellationToken, Task> call, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await call(ct);
            return true;
        }, timeout, cancellationToken);

    /// <exception cref="TimeoutException">The call did not finish within <paramref name="timeout"/>.</exception>
    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var task = call(cts.Token);
        try
        {
            return await task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw;
        }
        catch (Exception) when (cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Whatever the driver throws once the deadline cancels it means the same: not done in time.
            throw new TimeoutException($"The call did not finish within {timeout.TotalSeconds:0.#} s.");
        }
    }
}
