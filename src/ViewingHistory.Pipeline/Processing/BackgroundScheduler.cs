using System.Collections.Concurrent;
using ViewingHistory.Core.Diagnostics;

namespace ViewingHistory.Pipeline.Processing;

/// <summary>
/// Dedicated threads, at a lower CPU priority than the thread pool (<see cref="CpuPriority"/>), for a queue consumer
/// whose lag no member sees: the archive (<c>Archive:Nice</c>). A consumer started here keeps running here, since
/// every await of its own code resumes on the scheduler it started on, while the requests and the history processors
/// run on the pool at normal priority. When both want the cores, the pool gets them and the queue holds what the
/// consumer has not yet read; while the cores are free it runs as fast as before. Work a library continues after its
/// own <c>ConfigureAwait(false)</c> runs on the pool, at normal priority (benchmarks/NOTES.md: why the history
/// processors do not run here).
/// </summary>
public sealed class BackgroundScheduler : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _tasks = [];
    private readonly Thread[] _threads;
    private int _lowered;

    /// <summary>
    /// <paramref name="threads"/> threads named <paramref name="name"/>, each lowered to <paramref name="nice"/>
    /// (0 keeps the normal priority: the threads are then only a dedicated pool).
    /// </summary>
    public BackgroundScheduler(string name, int threads, int nice)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(nice);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nice, CpuPriority.LowestNice);
        Nice = nice;
        _threads = new Thread[threads];
        for (var i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Run) { IsBackground = true, Name = name };
            _threads[i].Start();
        }
    }

    /// <summary>The nice value asked for.</summary>
    public int Nice { get; }

    /// <summary>How many of the threads run at <see cref="Nice"/> (fewer where the system refused, or with 0).</summary>
    public int LoweredThreads => Volatile.Read(ref _lowered);

    public override int MaximumConcurrencyLevel => _threads.Length;

    /// <summary>Starts <paramref name="work"/> on these threads; what it awaits resumes on them.</summary>
    public Task RunAsync(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    /// <summary>Takes no more work: the threads finish what is queued and end. What is scheduled later runs on the pool.</summary>
    public void Dispose() => _tasks.CompleteAdding();

    protected override void QueueTask(Task task)
    {
        try
        {
            _tasks.Add(task);
        }
        catch (InvalidOperationException)
        {
            // Disposed (the host stopped): a late continuation (a timer's, a cancelled wait's) runs on the pool rather than never.
            ThreadPool.UnsafeQueueUserWorkItem(t => TryExecuteTask(t), task, preferLocal: false);
        }
    }

    // Only on these threads: work queued from a request never runs inline at their priority, nor theirs at a request's.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Array.IndexOf(_threads, Thread.CurrentThread) >= 0 && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _tasks.ToArray();

    private void Run()
    {
        if (CpuPriority.LowerCurrentThread(Nice))
        {
            Interlocked.Increment(ref _lowered);
        }

        foreach (var task in _tasks.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }
    }
}
