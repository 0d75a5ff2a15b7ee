using FASTER.core;

namespace ViewingHistory.Queue.Embedded;

/// <summary>
/// The embedded durable queue: one FasterLog (Microsoft.FASTER.Core) inside the process, one entry per accepted
/// batch, group-committed; named durable consumers with their own persisted positions; periodic truncation below
/// the slowest consumer; a dead-letter file beside it.
/// </summary>
/// <remarks>
/// Why FasterLog: DESIGN.md measured a committer loop over FasterLog at ~1.5M entries/s durable, and this queue's
/// own commits (benchmarks/RESULTS.md, "Embedded log append") take ~0.6-0.7 ms, less than one raw 64-record
/// <c>Flush(true)</c> measured in the same run (~1.1 ms); 64 concurrent single-event appenders reach ~0.56 × the raw
/// ceiling's records/s, each append awaited until durable. A hand-made log would have to earn what FasterLog brings:
/// per-entry checksums, torn-tail recovery, segment files that truncation deletes, tailing iterators.
/// <para>
/// Durability: the device is FASTER's ManagedLocalStorageDevice, which opens segment and commit files with O_SYNC
/// (seen with strace), so a write completes only once it is on disk and a completed
/// <see cref="FasterLog.CommitAsync(CancellationToken)"/> means the entries are durable. Both commit modes are durable
/// in that sense; FastCommitMode is the default because a commit is then one log write (its commit record, covered by
/// the per-entry checksums it requires), and the metadata file, which only bounds how far recovery scans forward for
/// commit records, is written every <see cref="FastCommitMetadataEvery"/> commits instead of being created and
/// deleted per commit: 2-3 × the commits/s of the default mode on these machines. The crash test kills a child
/// process after 10,000 acknowledged appends (past a metadata file) and finds every acknowledged batch.
/// </para>
/// </remarks>
public sealed partial class EmbeddedEventQueue : IEventQueue
{
    // In FastCommitMode the commit record in the log is what makes a commit durable; the metadata file only bounds
    // how far recovery scans. Writing it every commit (FASTER's default) creates and deletes a file per commit.
    private const int FastCommitMetadataEvery = 1000;
    private readonly EmbeddedQueueOptions _options;
    private readonly SemaphoreSlim _initGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private FileStream? _directoryLock;
    private IDevice? _device;
    private FasterLog? _log;
    private EmbeddedDeadLetterQueue? _deadLetters;
    private Task _committer = Task.CompletedTask;
    private Task _maintenance = Task.CompletedTask;
    private volatile Exception? _fault;
    private volatile bool _lowDisk;
    private long _nextDiskCheckTail;
    private int _disposed;

    /// <summary>Creates the queue; <see cref="InitializeAsync"/> opens (or recovers) its files.</summary>
    public EmbeddedEventQueue(EmbeddedQueueOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CheckpointInterval, TimeSpan.Zero, nameof(options.CheckpointInterval));
        _options = options;
        _deadLetterPath = Path.Combine(options.Directory, "deadletters.log");
        _consumersDirectory = Path.Combine(options.Directory, "consumers");
    }

    /// <inheritdoc />
    public IDeadLetterQueue DeadLetters => _deadLetters ?? throw NotInitialized();

    /// <summary>Bytes the log holds between its begin (after truncation) and its tail.</summary>
    public long RetainedBytes => _log is { } log ? log.TailAddress - log.BeginAddress : 0;

    /// <summary>Events appended since the log was created (recovered at start from checkpoints and a scan).</summary>
    public long AppendedEvents => Interlocked.Read(ref _appendedEvents);

    private readonly string _deadLetterPath;

    private FasterLog Log => _log ?? throw NotInitialized();

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _initGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (_log is not null)
            {
                return;
            }

            Directory.CreateDirectory(_options.Directory);
            _directoryLock = LockDirectory();
            Directory.CreateDirectory(_consumersDirectory);
            Directory.CreateDirectory(LogDirectory);
            (_device, _log) = await OpenLogAsync(cancellationToken);
            LoadRegisteredConsumers();
            _appendedEvents = await CountAppendedEventsAsync(cancellationToken);
            _deadLetters = await EmbeddedDeadLetterQueue.OpenAsync(_deadLetterPath, this, cancellationToken);
            CheckDisk();
            _committer = Task.Run(() => CommitLoopAsync(_stopping.Token), CancellationToken.None);
            _maintenance = Task.Run(() => MaintenanceLoopAsync(_stopping.Token), CancellationToken.None);
        }
        finally
        {
            _initGate.Release();
        }
    }

    private string LogDirectory => Path.Combine(_options.Directory, "log");

    /// <summary>Opens (recovers) the log from its files: at start, and again after a failed commit.</summary>
    private async Task<(IDevice Device, FasterLog Log)> OpenLogAsync(CancellationToken cancellationToken)
    {
        var device = Devices.CreateLogDevice(Path.Combine(LogDirectory, "events"), preallocateFile: false, deleteOnClose: false, recoverDevice: true);
        try
        {
            var settings = new FasterLogSettings
            {
                LogDevice = device,
                LogCommitManager = _options.FastCommitMode
                    ? new DeviceLogCommitCheckpointManager(
                        new LocalStorageNamedDeviceFactory(),
                        new DefaultCheckpointNamingScheme(Path.Combine(LogDirectory, "commits")),
                        removeOutdated: true,
                        fastCommitThrottleFreq: FastCommitMetadataEvery)
                    : null,
                LogCommitDir = Path.Combine(LogDirectory, "commits"),
                PageSizeBits = _options.PageSizeBits,
                MemorySizeBits = _options.MemorySizeBits,
                SegmentSizeBits = _options.SegmentSizeBits,
                LogChecksum = LogChecksumType.PerEntry,
                FastCommitMode = _options.FastCommitMode,
                TryRecoverLatest = true,
                AutoRefreshSafeTailAddress = true,
            };
            return (device, await FasterLog.CreateAsync(settings, cancellationToken));
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> IsHealthyAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(UnavailableReason() is null);

    /// <inheritdoc />
    /// <remarks>The log is in this process: its consumers can read it from initialization until it is closed, full or not.</remarks>
    public ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(_log is not null && Volatile.Read(ref _disposed) == 0);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        await SwallowAsync(_maintenance);
        await SwallowAsync(_committer);
        if (_log is not null)
        {
            await FinalCommitAsync();
            await CloseConsumersAsync();
            _log.Dispose();
        }

        _deadLetters?.Dispose();
        _device?.Dispose();
        _directoryLock?.Dispose();
        _stopping.Dispose();
        _initGate.Dispose();
        _commitSignal.Dispose();
        _logGate.Dispose();
    }

    /// <summary>Why appends cannot be made durable now, or null when they can.</summary>
    private string? UnavailableReason()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return "the queue is closed";
        }

        if (_log is null)
        {
            return "the queue is not initialized";
        }

        if (_fault is { } fault)
        {
            return "the log faulted: " + fault.Message;
        }

        if (_lowDisk)
        {
            return $"less than {_options.MinFreeDiskBytes} bytes free on the queue's disk";
        }

        if (_options.MaxBytes is { } max && RetainedBytes >= max)
        {
            return $"the log holds {RetainedBytes} bytes, its bound is {max}";
        }

        return null;
    }

    /// <summary>
    /// True when another open queue (this process's or another's) holds <paramref name="directory"/>'s lock now: a
    /// queue opened there would be refused. A probe only (the lock is taken and dropped at once), so the answer can be
    /// stale by the time the caller acts on it.
    /// </summary>
    public static bool IsInUse(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        try
        {
            using var probe = new FileStream(LockPath(directory), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static string LockPath(string directory) => Path.Combine(directory, "queue.lock");

    /// <summary>
    /// FasterLog has no guard against two writers on one directory, which would interleave and corrupt the log. .NET
    /// takes an exclusive flock(2) for <see cref="FileShare.None"/>; the kernel drops it when the process dies, even
    /// by SIGKILL, so a crash never leaves a stale lock behind.
    /// </summary>
    private FileStream LockDirectory()
    {
        var path = LockPath(_options.Directory);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"The queue directory {_options.Directory} is in use by another queue instance or process.", ex);
        }
    }

    private async Task MaintenanceLoopAsync(CancellationToken stopping)
    {
        var period = _options.DiskCheckInterval < _options.TruncateInterval ? _options.DiskCheckInterval : _options.TruncateInterval;
        using var timer = new PeriodicTimer(period);
        var nextTruncation = DateTime.UtcNow + _options.TruncateInterval;
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                CheckDisk();
                if (_fault is not null)
                {
                    await RetryRecreateLogAsync();
                }

                if (DateTime.UtcNow >= nextTruncation)
                {
                    nextTruncation = DateTime.UtcNow + _options.TruncateInterval;
                    try
                    {
                        await TruncateAsync(stopping);
                        if (_options.DeadLetterMaxAge is { } maxAge && _deadLetters is { } deadLetters)
                        {
                            await deadLetters.ExpireAsync(DateTimeOffset.UtcNow.Add(-maxAge).ToUnixTimeMilliseconds(), stopping);
                        }
                    }
                    catch (Exception ex) when (ex is IOException or QueueUnavailableException or UnauthorizedAccessException)
                    {
                        // A full disk or a faulted log: appends already report it; truncation tries again next time.
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Checks free space on a timer and, in between, whenever a quarter of the required free space has been appended
    /// since the last check, so that a burst cannot go from enough to ENOSPC unseen (statvfs costs microseconds).
    /// </summary>
    private void CheckDiskIfDue()
    {
        if (_log is { } log && log.TailAddress >= Interlocked.Read(ref _nextDiskCheckTail))
        {
            CheckDisk();
        }
    }

    private void CheckDisk()
    {
        try
        {
            var tail = _log?.TailAddress ?? 0;
            Interlocked.Exchange(ref _nextDiskCheckTail, tail + Math.Max(_options.MinFreeDiskBytes / 4, 64 * 1024));
            _lowDisk = new DriveInfo(_options.Directory).AvailableFreeSpace < _options.MinFreeDiskBytes;
        }
        catch (IOException)
        {
            // Unknown is not full: appends will fault the log for real if it is.
        }
    }

    private static async Task SwallowAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static InvalidOperationException NotInitialized() => new("Call InitializeAsync first.");
}
