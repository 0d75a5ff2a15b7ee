using System.Text.RegularExpressions;
using FASTER.core;
using ViewingHistory.Core.Serialization;
using ViewingHistory.Core.Durability;

namespace ViewingHistory.Queue.Embedded;

// Consumers and truncation. Every consumer name ever opened has a checkpoint file under consumers/; the file is what
// registers it, so a consumer not opened in this run still holds truncation back until it is removed.
public sealed partial class EmbeddedEventQueue
{
    private const string CheckpointExtension = ".ckpt";
    private const string TruncationFileName = "truncation.ckpt";
    private readonly string _consumersDirectory;
    private readonly object _registryGate = new();
    private readonly Dictionary<string, ConsumerCheckpoint> _registered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConsumerState> _open = new(StringComparer.Ordinal);
    private ConsumerCheckpoint? _truncatedAt;

    /// <inheritdoc />
    public IQueueConsumer OpenConsumer(string name)
    {
        ValidateName(name);
        _ = Log;
        lock (_registryGate)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (!_open.TryGetValue(name, out var state))
            {
                if (!_registered.TryGetValue(name, out var start))
                {
                    // A new consumer starts at the oldest entry the log still holds.
                    start = _truncatedAt ?? new ConsumerCheckpoint(Log.BeginAddress, 0);
                    DurableFile.WriteAtomically(CheckpointPath(name), System.Text.Encoding.UTF8.GetBytes(start.Serialize()));
                    _registered[name] = start;
                }

                state = new ConsumerState(name, this, Log, start, _options.CheckpointInterval);
                _open[name] = state;
            }

            state.Handles++;
            return new EmbeddedQueueConsumer(state);
        }
    }

    /// <summary>Names of the consumers registered on this log (opened in this run or before).</summary>
    public IReadOnlyList<string> ConsumerNames
    {
        get
        {
            lock (_registryGate)
            {
                return [.. _registered.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>
    /// Forgets a consumer that will not come back, so that it no longer holds truncation back. False when there is
    /// no such consumer. Throws while it is open.
    /// </summary>
    public bool RemoveConsumer(string name)
    {
        ValidateName(name);
        lock (_registryGate)
        {
            if (_open.ContainsKey(name))
            {
                throw new InvalidOperationException($"Consumer '{name}' is open.");
            }

            if (!_registered.Remove(name))
            {
                return false;
            }

            File.Delete(CheckpointPath(name));
            DurableFile.SyncDirectory(_consumersDirectory);
            return true;
        }
    }

    /// <inheritdoc />
    public Task<bool> RetireConsumerAsync(string name, CancellationToken cancellationToken)
    {
        _ = Log;
        return Task.FromResult(RemoveConsumer(name));
    }

    /// <summary>Called by a consumer's state once its position is on disk.</summary>
    internal void OnPersisted(string name, ConsumerCheckpoint position)
    {
        lock (_registryGate)
        {
            if (_registered.TryGetValue(name, out var known) && known.Address < position.Address)
            {
                _registered[name] = position;
            }
        }
    }

    /// <summary>Releases one handle; true when it was the last, and the state is no longer open.</summary>
    internal bool ReleaseHandle(ConsumerState state)
    {
        lock (_registryGate)
        {
            if (--state.Handles > 0)
            {
                return false;
            }

            if (_open.TryGetValue(state.Name, out var current) && ReferenceEquals(current, state))
            {
                _open.Remove(state.Name);
            }

            return true;
        }
    }

    private string TruncationPath => Path.Combine(_options.Directory, TruncationFileName);

    internal string CheckpointPath(string name) => Path.Combine(_consumersDirectory, name + CheckpointExtension);

    /// <summary>Truncates the log below the slowest registered consumer's persisted position, then commits.</summary>
    internal async Task TruncateAsync(CancellationToken cancellationToken)
    {
        ConsumerCheckpoint slowest;
        lock (_registryGate)
        {
            if (_registered.Count == 0)
            {
                return;
            }

            slowest = _registered.Values.MinBy(c => c.Address);
            if (slowest.Address <= (_truncatedAt?.Address ?? Log.BeginAddress))
            {
                return;
            }

            // The truncation point is persisted first: it is where consumers created later start, and the base of the
            // event count should every consumer be removed. A crash before the log's commit leaves it ahead of the
            // log's begin, which is harmless.
            DurableFile.WriteAtomically(TruncationPath, System.Text.Encoding.UTF8.GetBytes(slowest.Serialize()));
            _truncatedAt = slowest;

            // Page starts are always valid truncation points, whatever the entries' layout; space is freed a whole
            // segment at a time anyway, so keeping the rest of one page costs nothing.
            Log.TruncateUntilPageStart(slowest.Address);
        }

        if (_fault is null)
        {
            var generation = NewGeneration();
            await CommitGenerationAsync(generation);
            await generation.Task.WaitAsync(cancellationToken);
        }
    }

    private void LoadRegisteredConsumers()
    {
        _truncatedAt = ConsumerCheckpoint.TryRead(TruncationPath);
        foreach (var file in Directory.EnumerateFiles(_consumersDirectory, "*" + CheckpointExtension))
        {
            _registered[Path.GetFileNameWithoutExtension(file)] = ConsumerCheckpoint.TryRead(file)!.Value;
        }
    }

    /// <summary>
    /// Recovers the count of events ever appended: the furthest checkpoint gives the count below its address (every
    /// checkpoint counts from the start of the log), and the entries above it are counted by a scan.
    /// </summary>
    private async Task<long> CountAppendedEventsAsync(CancellationToken cancellationToken)
    {
        var log = Log;
        var bases = _registered.Values.ToList();
        if (_truncatedAt is { } truncated)
        {
            bases.Add(truncated);
        }

        var start = bases.Count > 0 ? bases.MaxBy(c => c.Address) : new ConsumerCheckpoint(log.BeginAddress, 0);
        var end = log.TailAddress;
        var count = start.EventsBelow;
        if (start.Address >= end)
        {
            return count;
        }

        using var iterator = log.Scan(start.Address, end);
        while (true)
        {
            while (iterator.GetNext(out byte[] entry, out var length, out _))
            {
                count += EventBatchCodec.EventCountOf(entry.AsSpan(0, length));
            }

            if (iterator.Ended || !await iterator.WaitAsync(cancellationToken))
            {
                return count;
            }
        }
    }

    private async Task CloseConsumersAsync()
    {
        List<ConsumerState> states;
        lock (_registryGate)
        {
            states = [.. _open.Values];
            _open.Clear();
        }

        foreach (var state in states)
        {
            await state.CloseAsync();
        }
    }

    private static void ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name) || !ConsumerNamePattern().IsMatch(name))
        {
            throw new ArgumentException("A consumer name is 1 to 64 of a-z, 0-9, '-' and '_'.", nameof(name));
        }
    }

    [GeneratedRegex("^[a-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex ConsumerNamePattern();
}
