using System.Buffers;
using ViewingHistory.Core.Durability;

namespace ViewingHistory.Queue.Embedded;

/// <summary>
/// The embedded queue's dead letters: an append-only file of add and remove records, each fsynced before the call
/// completes. A torn last record (crash mid-write, or a write cut short by a full disk) is cut off. Payloads stay in
/// the file: memory holds an index (id, reason, time, count, where the record lies), so a queue with many or large
/// dead letters costs memory for their number, not their size; listing and replaying read the payloads back. The file
/// is rewritten (a new file, fsync, rename, directory fsync) when removals outweigh what is held, and by a purge of
/// everything; a rewrite that fails (a full disk) leaves the old file and the index as they were.
/// </summary>
public sealed class EmbeddedDeadLetterQueue : IDeadLetterQueue, IDisposable
{
    private const int CompactAfterRemovals = 1024;
    private readonly string _path;
    private readonly EmbeddedEventQueue _queue;
    private readonly SemaphoreSlim _gate = new(1, 1);

    // The gate orders the writers; this lock only lets Count read the index while one of them runs.
    private readonly Lock _indexLock = new();
    private OrderedDictionary<string, DeadLetterSlot> _index;
    private FileStream _file;
    private long _end;
    private int _removals;

    private EmbeddedDeadLetterQueue(string path, EmbeddedEventQueue queue, FileStream file, OrderedDictionary<string, DeadLetterSlot> index, long end, int removals)
    {
        _path = path;
        _queue = queue;
        _file = file;
        _index = index;
        _end = end;
        _removals = removals;
    }

    /// <inheritdoc />
    public long Count
    {
        get
        {
            lock (_indexLock)
            {
                return _index.Count;
            }
        }
    }

    internal static Task<EmbeddedDeadLetterQueue> OpenAsync(string path, EmbeddedEventQueue queue, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var file = Open(path, FileMode.OpenOrCreate);
        try
        {
            var records = DeadLetterRecord.ReadIndex(file.SafeFileHandle, out var validLength);
            if (file.Length != validLength)
            {
                file.SetLength(validLength);
                file.Flush(flushToDisk: true);
            }

            DurableFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var index = new OrderedDictionary<string, DeadLetterSlot>(StringComparer.Ordinal);
            var removals = 0;
            foreach (var record in records)
            {
                if (record.Kind == DeadLetterRecord.AddKind)
                {
                    index[record.Id] = record.Slot;
                }
                else
                {
                    index.Remove(record.Id);
                    removals++;
                }
            }

            return Task.FromResult(new EmbeddedDeadLetterQueue(path, queue, file, index, validLength, removals));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask AddAsync(QueueEntry entry, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(reason);
        var letter = new DeadLetter(
            Guid.NewGuid().ToString("N"),
            reason,
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            entry.EventCount,
            entry.Payload);
        var record = DeadLetterRecord.Add(letter);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var offset = Append(record);
            lock (_indexLock)
            {
                _index[letter.Id] = DeadLetterRecord.SlotOf(record, offset);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>Oldest first. The payloads are read from the file, so memory grows with <paramref name="limit"/>, not with what is held.</remarks>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        // Under the gate: a rewrite swaps the file and moves every record.
        await _gate.WaitAsync(cancellationToken);
        try
        {
            List<KeyValuePair<string, DeadLetterSlot>> page;
            lock (_indexLock)
            {
                page = [.. _index.Take(limit)];
            }

            return [.. page.Select(p => Letter(p.Key, p.Value))];
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>A crash between the re-append and the removal replays the letter twice: harmless, since applying events is idempotent.</remarks>
    public async Task<bool> ReplayAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            DeadLetterSlot slot;
            bool held;
            lock (_indexLock)
            {
                held = _index.TryGetValue(id, out slot);
            }

            if (!held)
            {
                return false;
            }

            await _queue.AppendRawAsync(DeadLetterRecord.ReadPayload(_file.SafeFileHandle, slot), cancellationToken);
            RemoveLocked(id);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<int> PurgeAsync(string? id, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (id is not null)
            {
                bool held;
                lock (_indexLock)
                {
                    held = _index.ContainsKey(id);
                }

                if (held)
                {
                    RemoveLocked(id);
                }

                return held ? 1 : 0;
            }

            int removed;
            lock (_indexLock)
            {
                removed = _index.Count;
            }

            Rewrite(keep: false);
            return removed;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes every dead letter that failed before <paramref name="olderThanMs"/>; returns how many.</summary>
    public async Task<int> ExpireAsync(long olderThanMs, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            List<string> expired;
            lock (_indexLock)
            {
                expired = [.. _index.Where(e => e.Value.FailedAtMs < olderThanMs).Select(e => e.Key)];
            }

            foreach (var id in expired)
            {
                RemoveLocked(id);
            }

            return expired.Count;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _file.Dispose();
        _gate.Dispose();
    }

    private static FileStream Open(string path, FileMode mode) =>
        // Unbuffered: every write is positioned (RandomAccess) and fsynced at once; a buffer could only hold bytes of a
        // failed write and emit them later.
        new(path, mode, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);

    private DeadLetter Letter(string id, DeadLetterSlot slot) =>
        new(id, slot.Reason, slot.FailedAtMs, slot.EventCount, DeadLetterRecord.ReadPayload(_file.SafeFileHandle, slot));

    private void RemoveLocked(string id)
    {
        Append(DeadLetterRecord.Remove(id));
        int held;
        lock (_indexLock)
        {
            _index.Remove(id);
            held = _index.Count;
        }

        if (++_removals >= CompactAfterRemovals && _removals > held)
        {
            try
            {
                Rewrite(keep: true);
            }
            catch (IOException)
            {
                // The removal is durable already; a compaction is only an economy of space, and a failed one (a full
                // disk) leaves the old file in place. The next removal tries again.
            }
        }
    }

    /// <summary>Writes a record at the end of the file and fsyncs it; returns where it starts.</summary>
    private long Append(byte[] record)
    {
        var offset = _end;
        try
        {
            RandomAccess.Write(_file.SafeFileHandle, record, offset);
            _file.Flush(flushToDisk: true);
        }
        catch
        {
            // A write cut short (ENOSPC) leaves part of a record behind. Cut it off now, so the next record follows the
            // last whole one; if even that fails, the next write still starts at _end, over it, and open cuts off
            // whatever torn tail is left after the last whole record.
            try
            {
                _file.SetLength(offset);
                _file.Flush(flushToDisk: true);
            }
            catch (IOException)
            {
            }

            throw;
        }

        _end = offset + record.Length;
        return offset;
    }

    /// <summary>
    /// Replaces the file with the add records of what is held (<paramref name="keep"/>) or with nothing: a new file,
    /// fsync, rename over the old one, directory fsync. The records are copied one at a time from the old file. Until
    /// the rename the old file and the index stay in force, so a failure changes nothing.
    /// </summary>
    private void Rewrite(bool keep)
    {
        var temp = _path + ".tmp";
        List<KeyValuePair<string, DeadLetterSlot>> held;
        lock (_indexLock)
        {
            held = keep ? [.. _index] : [];
        }

        var next = Open(temp, FileMode.Create);
        var index = new OrderedDictionary<string, DeadLetterSlot>(StringComparer.Ordinal);
        long end = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            foreach (var (id, slot) in held)
            {
                if (buffer.Length < slot.RecordLength)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(slot.RecordLength);
                }

                var record = buffer.AsSpan(0, slot.RecordLength);
                if (!DeadLetterRecord.ReadFully(_file.SafeFileHandle, record, slot.RecordOffset))
                {
                    throw new IOException("The dead-letter file is shorter than its index.");
                }

                RandomAccess.Write(next.SafeFileHandle, record, end);
                index[id] = slot with { RecordOffset = end };
                end += slot.RecordLength;
            }

            next.Flush(flushToDisk: true);
            File.Move(temp, _path, overwrite: true);
        }
        catch
        {
            next.Dispose();
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
            }

            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // Renamed: the new file is the file. The open handle stays valid across the rename, so it becomes ours.
        var old = _file;
        lock (_indexLock)
        {
            _file = next;
            _index = index;
        }

        _end = end;
        _removals = 0;
        old.Dispose();
        DurableFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
    }
}
