using ViewingHistory.Store;

namespace ViewingHistory.Pipeline.Processing;

/// <summary>
/// What one <see cref="HistoryProcessor"/> drains and where to: the durable consumer, and the store it applies to.
/// <see cref="IsPrimary"/> marks the processor of the authoritative store, the one whose lag is the queue lag gauge and
/// whose commits make events visible, so the one that measures end-to-end latency (the shadow processor does neither).
/// </summary>
/// <param name="ConsumerName">The durable consumer (<see cref="ProcessorHost.PrimaryConsumer"/> or <see cref="ProcessorHost.ShadowConsumer"/>).</param>
/// <param name="Store">The store the consumer's deliveries are applied to.</param>
/// <param name="IsPrimary">True for the processor of the primary store.</param>
public sealed record ProcessorTarget(string ConsumerName, IHistoryStore Store, bool IsPrimary)
{
    /// <summary>The processor that feeds the primary store.</summary>
    public static ProcessorTarget Primary(IHistoryStore store) => new(ProcessorHost.PrimaryConsumer, store, IsPrimary: true);

    /// <summary>The processor that feeds the shadow store in shadow mode.</summary>
    public static ProcessorTarget Shadow(IHistoryStore store) => new(ProcessorHost.ShadowConsumer, store, IsPrimary: false);
}
