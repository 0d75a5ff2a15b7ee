namespace ViewingHistory.Queue.Embedded;

/// <summary>
/// The embedded queue's dead letters: an append-only file of add and remove records, each fsynced before the call
/// completes. A torn last record (crash mid-write) is cut off at open. The file is rewritten (temp, fsync, rename)
/// when removals outweigh what is held, and by a purge of everything.
/// </summary>
public sealed class EmbeddedDeadLetterQueue : IDeadLetterQueue, IDisposable
{
    private const int CompactAfterRemovals = 1024;
    private readonly string _path;
    private readonly EmbeddedEventQueue _queue;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly OrderedDictionary<string, DeadLetter> _letters = new(StringComparer.Ordinal);
    private FileStream _file;
    private int _removals;

    private EmbeddedDeadLetterQueue(string path, EmbeddedEventQueue queue, FileStream file)
    {
        _path = path;
        _queue = queue;
        _file = file;
    }

    /// <inheritdoc />
    public long Count
    {
        get
        {
            lock (_letters)
            {
                return _letters.Count;
            }
        }
    }

    internal static async Task<EmbeddedDeadLetterQueue> OpenAsync(string path, EmbeddedEventQueue queue, CancellationToken cancellationToken)
    {
        var data = File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : [];
        var records = DeadLetterRecord.ReadAll(data, out var validLength);
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        if (file.Length != validLength)
        {
            file.SetLength(validLength);
            file.Flush(flushToDisk: true);
        }

        file.Seek(0, SeekOrigin.End);
        DurableFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var dlq = new EmbeddedDeadLetterQueue(path, queue, file);
        foreach (var (kind, id, letter) in records)
        {
            if (kind == DeadLetterRecord.AddKind)
            {
                dlq._letters[id] = letter!;
            }
            else
            {
                dlq._letters.Remove(id);
                dlq._removals++;
            }
        }

        return dlq;
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
            entry.Batch?.Events.Count ?? EntryFormat.EventCountOf(entry.Payload.Span),
            entry.Payload.ToArray());
        await _gate.WaitAsync(cancellationToken);
        try
        {
            Write(DeadLetterRecord.Add(letter));
            lock (_letters)
            {
                _letters[letter.Id] = letter;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>Oldest first. Served from memory: the file is only read at open.</remarks>
    public Task<IReadOnlyList<DeadLetter>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_letters)
        {
            return Task.FromResult<IReadOnlyList<DeadLetter>>([.. _letters.Values.Take(limit)]);
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
            DeadLetter? letter;
            lock (_letters)
            {
                _letters.TryGetValue(id, out letter);
            }

            if (letter is null)
            {
                return false;
            }

            await _queue.AppendRawAsync(letter.Payload, cancellationToken);
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
                lock (_letters)
                {
                    held = _letters.ContainsKey(id);
                }

                if (held)
                {
                    RemoveLocked(id);
                }

                return held ? 1 : 0;
            }

            int removed;
            lock (_letters)
            {
                removed = _letters.Count;
                _letters.Clear();
            }

            Rewrite();
            return removed;
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

    private void RemoveLocked(string id)
    {
        Write(DeadLetterRecord.Remove(id));
        int held;
        lock (_letters)
        {
            _letters.Remove(id);
            held = _letters.Count;
        }

        if (++_removals >= CompactAfterRemovals && _removals > held)
        {
            Rewrite();
        }
    }

    private void Write(byte[] record)
    {
        _file.Write(record);
        _file.Flush(flushToDisk: true);
    }

    /// <summary>Replaces the file with the add records of what is held: temp file, fsync, rename.</summary>
    private void Rewrite()
    {
        using var content = new MemoryStream();
        lock (_letters)
        {
            foreach (var letter in _letters.Values)
            {
                content.Write(DeadLetterRecord.Add(letter));
            }
        }

        _file.Dispose();
        DurableFile.WriteAtomically(_path, content.ToArray());
        _file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
        _removals = 0;
    }
}
