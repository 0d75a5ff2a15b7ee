using System.Buffers;
using FASTER.core;
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
    // 1 from the first request of a round until the committer closes it: later appenders of the round skip the signal.
    private int _commitRequested;
    // Serializes commits with the recreation of the log after a failed one: a commit always runs on the current log.
    private readonly SemaphoreSlim _logGate = new(1, 1);
    private TaskCompletionSource<FasterLog> _nextCommit = NewGeneration();
    private bool _finalCommitStarted;
    private long _appendedEvents;
    private long _commits;

    /// <summary>Commits made since the queue was opened (each covers every append that arrived before it started).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <inheritdoc />
    public async ValueTask AppendAsync(AcceptedBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);

        // Encoded into a pooled buffer, which FASTER copies into its page at the enqueue: the buffer goes back before
        // the wait for the commit, so a burst of requests shares a few buffers instead of allocating one each.
        var buffer = ArrayPool<byte>.Shared.Rent(EventBatchCodec.EncodedLength(batch));
        Enqueued enqueued;
        try
        {
            var length = EventBatchCodec.Encode(batch, buffer);
            enqueued = await EnqueueAsync(buffer.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await CommittedAsync(enqueued, cancellationToken);
    }

    /// <summary>
    /// Appends bytes as one entry and completes once it is committed; returns its address. Dead-letter replays come
    /// through here with the payload as it was first appended, whether or not it decodes.
    /// </summary>
    internal async Task<long> AppendRawAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var enqueued = await EnqueueAsync(payload, cancellationToken);
        await CommittedAsync(enqueued, cancellationToken);
        return enqueued.Address;
    }

    /// <summary>An entry in the log's memory, waiting for the commit of <see cref="Committed"/> on <see cref="Log"/>.</summary>
    private readonly record struct Enqueued(FasterLog Log, long Address, Task<FasterLog> Committed, int Events);

    /// <summary>
    /// Copies <paramref name="payload"/> into the log (the caller may reuse it once this completes) and takes the
    /// commit generation that will cover it.
    /// </summary>
    private async ValueTask<Enqueued> EnqueueAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        CheckDiskIfDue();
        if (UnavailableReason() is { } reason)
        {
            throw new QueueUnavailableException("The embedded queue cannot take the batch: " + reason + ".");
        }

        // The log the entry goes into: a commit on another one (recreated after a failed commit) does not cover it.
        var log = Log;
        long address;
        try
        {
            address = await log.EnqueueAsync(payload, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw new QueueUnavailableException("The embedded queue cannot take the batch.", ex);
        }

        Task<FasterLog> committed;
        lock (_commitGate)
        {
            if (_finalCommitStarted)
            {
                // The closing commit may have run before this enqueue: do not promise what may not be on disk.
                throw new QueueUnavailableException("The embedded queue is closing.");
            }

            committed = _nextCommit.Task;
        }

        var events = EventBatchCodec.EventCountOf(payload.Span);
        Interlocked.Add(ref _appendedEvents, events);
        return new Enqueued(log, address, committed, events);
    }

    /// <summary>Wakes the committer and completes once the commit covering <paramref name="enqueued"/> is on disk.</summary>
    private async ValueTask CommittedAsync(Enqueued enqueued, CancellationToken cancellationToken)
    {
        RequestCommit();
        try
        {
            var committedOn = await enqueued.Committed.WaitAsync(cancellationToken);
            if (!ReferenceEquals(committedOn, enqueued.Log))
            {
                throw new QueueUnavailableException("The embedded queue's log was recreated after a failed commit before this batch was committed.");
            }
        }
        catch (QueueUnavailableException)
        {
            Interlocked.Add(ref _appendedEvents, -enqueued.Events);
            throw;
        }
    }

    /// <summary>
    /// Wakes the committer unless a commit is already requested and not yet closed, which then covers this entry (the
    /// caller took its generation before this call, and the committer clears the flag before it swaps generations).
    /// Only the first appender of a round signals: the semaphore is never full, and no appender pays for a
    /// <see cref="SemaphoreFullException"/> (under load that exception, thrown and caught on nearly every append, was
    /// the largest single cost of single-event ingest; benchmarks/NOTES.md).
    /// </summary>
    private void RequestCommit()
    {
        if (Interlocked.Exchange(ref _commitRequested, 1) == 0)
        {
            _commitSignal.Release();
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
            TaskCompletionSource<FasterLog> generation;
            lock (_commitGate)
            {
                // Before the swap: an appender that still finds the flag set took a generation this swap closes.
                Volatile.Write(ref _commitRequested, 0);
                generation = _nextCommit;
                _nextCommit = NewGeneration();
            }

            await CommitGenerationAsync(generation);
        }
    }

    private async Task CommitGenerationAsync(TaskCompletionSource<FasterLog> generation)
    {
        await _logGate.WaitAsync();
        try
        {
            if (_fault is { } fault)
            {
                generation.TrySetException(new QueueUnavailableException("The embedded queue's log faulted.", fault));
                return;
            }

            var log = Log;
            try
            {
                // CommitAsync: not the CancellationToken overload's cancellation: an abandoned commit would leave the
                // appenders of this generation without an answer.
                await log.CommitAsync(CancellationToken.None);
                Interlocked.Increment(ref _commits);
                generation.TrySetResult(log);
            }
            catch (Exception ex)
            {
                // FasterLog enters a permanently errored state after a device error (TolerateDeviceFailure is off, as it
                // must be: tolerating would acknowledge lost data). This round's appenders get the failure; the log is
                // then recreated from its files, which recovers exactly what earlier commits made durable, so later
                // rounds commit again once the cause (a full disk) is gone.
                _fault = ex;
                generation.TrySetException(new QueueUnavailableException("The embedded queue's log failed to commit.", ex));
                await TryRecreateLogAsync();
            }
        }
        finally
        {
            _logGate.Release();
        }
    }

    /// <summary>After a failed recreation: tries again (from the maintenance loop) while the queue is faulted.</summary>
    private async Task RetryRecreateLogAsync()
    {
        await _logGate.WaitAsync();
        try
        {
            if (_fault is not null)
            {
                await TryRecreateLogAsync();
            }
        }
        finally
        {
            _logGate.Release();
        }
    }

    /// <summary>
    /// Opens the log again from its files and moves every open consumer's iterator onto it, then drops the faulted
    /// instance. Under <see cref="_logGate"/>. Entries enqueued into the faulted instance but not committed are not in
    /// the new one; their appenders are refused (their round failed, or their commit ran on the new log). A failure
    /// leaves the queue faulted, and the maintenance loop tries again.
    /// </summary>
    private async Task TryRecreateLogAsync()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        IDevice device;
        FasterLog log;
        try
        {
            (device, log) = await OpenLogAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return;
        }

        FasterLog old;
        IDevice? oldDevice;
        List<ConsumerState> states;
        lock (_registryGate)
        {
            old = Log;
            oldDevice = _device;
            _log = log;
            _device = device;
            states = [.. _open.Values];
        }

        foreach (var state in states)
        {
            await state.RebaseAsync(log);
        }

        try
        {
            old.Dispose();
            oldDevice?.Dispose();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The faulted instance may throw its canned error on the way out; nothing of it is used any more.
        }

        _fault = null;
    }

    private async Task FinalCommitAsync()
    {
        TaskCompletionSource<FasterLog> generation;
        lock (_commitGate)
        {
            _finalCommitStarted = true;
            generation = _nextCommit;
        }

        await CommitGenerationAsync(generation);
    }

    private static TaskCompletionSource<FasterLog> NewGeneration() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
