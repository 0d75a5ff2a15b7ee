using System.Collections.Concurrent;

namespace ViewingHistory.Store.Sqlite;

/// <summary>
/// The thread the SQLite writer runs on. A write transaction is synchronous work of up to tens of milliseconds
/// (Microsoft.Data.Sqlite's async methods are synchronous underneath); run on thread-pool workers, a few of them at
/// once starve the pool on a small machine, and every request of the process waits behind them for the pool to grow
/// (benchmarks/NOTES.md: ingest p99 ~300 ms at half the sustained rate). One dedicated thread keeps that blocking off
/// the pool; SQLite has one writer anyway.
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

    /// <summary>Runs <paramref name="work"/> on the thread; the returned task completes (on the pool) with its result or exception.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
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
