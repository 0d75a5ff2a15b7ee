using System.ComponentModel.DataAnnotations;

namespace ViewingHistory.Pipeline.Processing;

/// <summary>The <c>Processor</c> configuration section.</summary>
public sealed record ProcessorOptions
{
    public const string Section = "Processor";

    /// <summary>Workers per processor, each owning the members whose stable hash falls in its partition.</summary>
    [Range(1, 64)]
    public int Workers { get; init; } = 2;

    /// <summary>
    /// A batch closes at this many events... In steady state the wait below closes batches long before this; it
    /// matters when the processor is behind, where a bigger batch holds more heartbeats of each session and so costs
    /// fewer row writes per event (benchmarks/RESULTS.md, row 3: 4,000 → 16,000 made backlog drains 1.6–3.3 × faster).
    /// </summary>
    [Range(1, 100_000)]
    public int MaxBatchEvents { get; init; } = 16_000;

    /// <summary>...or when this much time has passed since its first event.</summary>
    public TimeSpan MaxBatchWait { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Attempts of a batch failing with a non-transient error before its poison entries are isolated and dead-lettered.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The longest pause between retries of a transient failure.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// With several store shards: deliveries held, at most, because a shard that is down has not yet taken their part
    /// (the others' parts committed). At the bound the processor waits for one to be released before it reads on.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxHeldDeliveries { get; init; } = 256;

    /// <summary>
    /// With several store shards: how long a delivery waits for one shard's part before it holds that part and reads on
    /// (a frozen shard answers nothing, not even an error, until the connection's command timeout).
    /// </summary>
    public TimeSpan ShardWait { get; init; } = TimeSpan.FromSeconds(5);
}
