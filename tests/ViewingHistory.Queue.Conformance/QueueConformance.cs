namespace ViewingHistory.Queue.Conformance;

/// <summary>
/// What every <see cref="IEventQueue"/> must do (DESIGN.md principle 7: append a batch durably; consume batches;
/// acknowledge; dead-letter). Each engine runs the whole suite through a subclass that says how to open a queue on a
/// fresh location and declares, as properties, where the engine legitimately differs, so that a difference is a
/// documented branch of one assertion and never a skipped test.
/// </summary>
/// <remarks>
/// Partial files by concern: appends and receives, consumers, acknowledgement and redelivery, dead letters, lag,
/// retention, consumer retirement. Every test owns its location (a directory, a stream), so tests
/// are independent and may run in parallel.
/// </remarks>
public abstract partial class QueueConformance : IAsyncLifetime
{
    /// <summary>How long any one wait in a test may take: generous, because the machines are small and shared.</summary>
    protected static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(90);

    private readonly CancellationTokenSource _testDeadline = new(TimeSpan.FromMinutes(4));

    /// <summary>The queue under test, opened on this test's fresh location.</summary>
    protected IEventQueue Queue { get; private set; } = null!;

    /// <summary>Cancels every call of the test once the test has run far longer than it should.</summary>
    protected CancellationToken Token => _testDeadline.Token;

    /// <summary>
    /// The engine's ack wait: how long an unacknowledged delivery stays with its consumer before the engine hands it
    /// out again (JetStream's AckWait). Null where the engine has no redelivery timer (the embedded log redelivers only
    /// when the consumer is reopened). Keep it small in the subclass: tests wait for it.
    /// </summary>
    protected abstract TimeSpan? AckWait { get; }

    /// <summary>
    /// True where <see cref="QueueEntry.DeliveryCount"/> counts deliveries (JetStream's NumDelivered). The embedded log
    /// reports 1 every time: it keeps no per-entry state, only a watermark, so it cannot know it delivered an entry
    /// before a reopen.
    /// </summary>
    protected abstract bool CountsRedeliveries { get; }

    /// <summary>
    /// True where an ack settles its own entries whatever else is outstanding (JetStream acks each message). False where
    /// the consumer's position is a contiguous watermark (the embedded log): entries acknowledged after an
    /// unacknowledged one are delivered again with it after a reopen, which at-least-once allows.
    /// </summary>
    protected abstract bool AcknowledgesEachEntry { get; }

    /// <summary>
    /// True where entries every consumer acknowledged stay stored (JetStream's Limits retention, so that a consumer
    /// created later, such as the archive, reads them; age frees space). False where the engine truncates below the
    /// slowest consumer (the embedded log), and a consumer created later starts at the oldest entry still retained.
    /// </summary>
    protected abstract bool RetainsAcknowledgedEntries { get; }

    /// <summary>The <see cref="IQueueConsumer.MaxDeliveries"/> the engine reports as configured by the subclass; null: redelivery never stops.</summary>
    protected abstract int? MaxDeliveries { get; }

    /// <summary>How long to watch for a redelivery that must not come: past one ack wait, with a margin for a slow machine.</summary>
    protected TimeSpan RedeliveryWindow => (AckWait ?? TimeSpan.Zero) + TimeSpan.FromSeconds(2);

    public async Task InitializeAsync()
    {
        await CreateLocationAsync();
        Queue = await OpenQueueAsync();
    }

    public async Task DisposeAsync()
    {
        if (Queue is not null)
        {
            await Queue.DisposeAsync();
        }

        await DeleteLocationAsync();
        _testDeadline.Dispose();
    }

    /// <summary>Makes a fresh, empty place for this test's queue (a directory, a stream name).</summary>
    protected abstract Task CreateLocationAsync();

    /// <summary>A new, uninitialized queue instance on this test's location (as after a restart of the process).</summary>
    protected abstract IEventQueue NewQueue();

    protected virtual Task DeleteLocationAsync() => Task.CompletedTask;

    /// <summary>Appends bytes that are not an encoded batch, as a corrupt or foreign writer would, where <see cref="Queue"/> reads.</summary>
    protected abstract Task AppendUndecodableAsync(byte[] payload);

    /// <summary>Bytes the engine holds for the queue's entries (the log's segment files, the stream's bytes).</summary>
    protected abstract Task<long> RetainedBytesAsync();

    /// <summary>Closes <see cref="Queue"/> and opens a new instance on the same location, as a restart does.</summary>
    protected async Task ReopenAsync()
    {
        await Queue.DisposeAsync();
        Queue = null!;
        Queue = await OpenQueueAsync();
    }

    private async Task<IEventQueue> OpenQueueAsync()
    {
        var queue = NewQueue();
        await queue.InitializeAsync(Token);
        return queue;
    }
}
