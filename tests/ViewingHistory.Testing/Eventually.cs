namespace ViewingHistory.Testing;

/// <summary>Polls a condition until it holds or a deadline passes: no Task.Delay guesses in tests.</summary>
public static class Eventually
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        var delay = TimeSpan.FromMilliseconds(20);
        T last;
        while (true)
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}. Last value: {last}");
            }

            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }
    }

    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        UntilAsync(condition, ok => ok, timeout, what);

    /// <summary>
    /// Like <see cref="UntilAsync{T}"/>, for a condition that a backlog reaches at the machine's pace (a drain after a
    /// load whose size depends on how fast the machine answered): past <paramref name="timeout"/> it keeps waiting while
    /// <paramref name="progress"/> keeps growing, so a slow machine still gets there, and fails once it has not grown for
    /// <paramref name="stall"/> (what is lost never arrives) or at three times the timeout.
    /// </summary>
    public static async Task<T> WhileProgressingAsync<T>(Func<Task<T>> probe, Func<T, bool> done, Func<T, long> progress, TimeSpan timeout, TimeSpan stall, string what)
    {
        var started = DateTime.UtcNow;
        var lastProgress = started;
        long? best = null;
        while (true)
        {
            var last = await probe();
            if (done(last))
            {
                return last;
            }

            var now = DateTime.UtcNow;
            var reached = progress(last);
            if (best is null || reached > best)
            {
                best = reached;
                lastProgress = now;
            }

            if ((now - started > timeout && now - lastProgress > stall) || now - started > timeout * 3)
            {
                throw new TimeoutException(
                    $"Timed out after {(now - started).TotalSeconds:0} s waiting for {what} (no progress for {(now - lastProgress).TotalSeconds:0} s, reached {best}). Last value: {last}");
            }

            await Task.Delay(250);
        }
    }
}
