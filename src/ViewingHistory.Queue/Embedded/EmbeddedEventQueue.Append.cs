using ViewingHistory.Core.Events;
using ViewingHistory.Core.Serialization;

namespace ViewingHistory.Queue.Embedded;

// Appends and group commit. An appender enqueues its entry in memory, takes the commit generation that will cover
// it, wakes the committer and awaits that generation. The single committer loop swaps in a new generation and
// commits until the tail: everything enqueued before the swap is in that commit, and whatever arrives while it
// runs rides the next one. Commits thus cost one per round, however many appenders share it.
public sealed partial class EmbeddedEventQueue
{
    private readonly object _commitGate = new();
    private readonly SemaphoreSlim _commitSignal = new(0, 1);
    private TaskCompletionSource _nextCommit = NewGeneration();
    private bool _finalCommitStarted;
    private long _appendedEvents;
    private long _commits;

    /// <summary>Commits made since the queue was opened (each covers every append that arrived before it started).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <inheritdoc />
    public ValueTask AppendAsync(AcceptedBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var payload = EventBatchCodec.Encode(batch);
        return new ValueTask(AppendRawAsync(payload, cancellationToken));
    }

    /// <summary>
    /// Appends bytes as one entry and completes once it is committed; returns its address. Dead-letter replays come
    /// through here with the payload as it was first appended, whether or not it decodes.
    /// </summary>
    internal async Task<long> AppendRawAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        CheckDiskIfDue();
        if (UnavailableReason() is { } reason)
        {
            throw new QueueUnavailableException("The embedded queue cannot take the batch: " + reason + ".");
        }

        long address;
        try
        {
            address = await Log.EnqueueAsync(payload, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw new QueueUnavailableException("The embedded queue cannot take the batch.", ex);
        }

        Task committed;
        lock (_commitGate)
        {
            if (_finalCommitStarted)
            {
                // The closing commit may have run before this enqueue: do not promise what may not be on disk.
                throw new QueueUnavailableException("The embedded queue is closing.");
            }

            committed = _nextCommit.Task;
        }

        Interlocked.Add(ref _appendedEvents, EntryFormat.EventCountOf(payload.Span));
        RequestCommit();
        await committed.WaitAsync(cancellationToken);
        return address;
    }

    private void RequestCommit()
    {
        try
        {
            _commitSignal.Release();
        }
        catch (SemaphoreFullException)
        {
            // A commit is already requested; it will cover this entry.
        }
    }

    private async Task CommitLoopAsync(CancellationToken stopping)
    {
        while (true)
        {
            try
            {
                await _commitSignal.WaitAsync(stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // One turn of the thread pool before the round closes: appenders whose requests are already queued there
            // join this commit instead of starting the next one. Under load this halves the commits (each one a
            // synchronous write of the log's tail) for the same events, at no cost when the queue is idle.
            await Task.Yield();
            TaskCompletionSource generation;
            lock (_commitGate)
            {
                generation = _nextCommit;
                _nextCommit = NewGeneration();
            }

            await CommitGenerationAsync(generation);
        }
    }

    private async Task CommitGenerationAsync(TaskCompletionSource generation)
    {
        if (_fault is { } fault)
        {
            generation.TrySetException(new QueueUnavailableException("The embedded queue's log faulted.", fault));
            return;
        }

        try
        {
            // CommitAsync: not the CancellationToken overload's cancellation: an abandoned commit would leave the
            // appenders of this generation without an answer.
            await Log.CommitAsync(CancellationToken.None);
            Interlocked.Increment(ref _commits);
            generation.TrySetResult();
        }
        catch (Exception ex)
        {
            // FasterLog enters a permanently errored state after a device error (TolerateDeviceFailure is off, as it
            // must be: tolerating would acknowledge lost data). Only a restart on a repaired disk recovers.
            _fault = ex;
            generation.TrySetException(new QueueUnavailableException("The embedded queue's log failed to commit.", ex));
        }
    }

    private async Task FinalCommitAsync()
    {
        TaskCompletionSource generation;
        lock (_commitGate)
        {
            _finalCommitStarted = true;
            generation = _nextCommit;
        }

        await CommitGenerationAsync(generation);
    }

    private static TaskCompletionSource NewGeneration() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
