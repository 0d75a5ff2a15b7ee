using ViewingHistory.Core.History;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Store.Sharding;

/// <summary>Passes a shard's export on, with the erasure's feed position replaced by the global feed's where it knows the same mark.</summary>
internal sealed class GlobalPositionSink(IMemberExportSink inner, ErasureRecord? global) : IMemberExportSink
{
    public ValueTask BeginAsync(IReadOnlyList<HideMark> hides, ErasureRecord? erasure, CancellationToken cancellationToken) =>
        inner.BeginAsync(
            hides,
            erasure is not null && global is not null && global.ErasedThroughMs == erasure.ErasedThroughMs ? erasure with { FeedPosition = global.FeedPosition } : erasure,
            cancellationToken);

    public ValueTask ItemAsync(HistoryItem item, CancellationToken cancellationToken) => inner.ItemAsync(item, cancellationToken);

    public ValueTask SessionAsync(ExportedSession session, CancellationToken cancellationToken) => inner.SessionAsync(session, cancellationToken);
}
