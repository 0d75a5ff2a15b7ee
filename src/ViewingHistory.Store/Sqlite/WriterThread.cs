using System.Collections.Concurrent;

namespace ViewingHistory.Store.Sqlite;

/// <summary>
/// The thread the SQLite writer runs on. A write transaction is synchronous work of up to tens of milliseconds
/// (Microsoft.Data.Sqlite's async methods are synchronous underneath); run on thread-pool workers, a few of them at
/// once starve the pool on a small machine, and every request of the process waits behind them for the pool to grow
/// (benchmarks/NOTES.md: ingest p99 ~300 ms at half the sustained rate). One dedicated thread keeps that blocking off
/// the pool, and it is also what serializes the writer's work: SQLite has one writer anyway, and queued transactions
/// run back to back with no hand-off between them.
/// </summary>
internal sealed class WriterThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = [];
    private readonly Thread _thread;

    public WriterThread(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>
    /// Queues <paramref name="work"/>; the returned task completes (on the pool) with its result or exception. Work whose
    /// token is cancelled before its turn does not run.
    /// </summary>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _work.Add(() =>
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    done.SetCanceled(cancellationToken);
                    return;
                }

                try
                {
                    done.SetResult(work());
                }
                catch (Exception e)
                {
                    done.SetException(e);
                }
            }, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // Adding was completed: the store is disposed.
            throw new ObjectDisposedException(_thread.Name);
        }

        return done.Task;
    }

    /// <summary>Finishes the queued work, then ends the thread.</summary>
    public void Dispose()
    {
        _work.CompleteAdding();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }

        _work.Dispose();
    }

    private void Run()
    {
        foreach (var work in _work.GetConsumingEnumerable())
        {
            work();
        }
    }
}
