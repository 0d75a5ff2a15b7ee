using ViewingHistory.Store;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Pipeline;

/// <summary>
/// Hides and erasures, at server time. They go to the store directly in every mode (CONTRACT.md: a hide shows in reads
/// as soon as the DELETE returns, an erasure at once); in shadow mode the shadow store gets the same mark, so the two
/// stay comparable.
/// </summary>
public sealed class HistoryCommands(StoreSet stores, TimeProvider time)
{
    public async Task HideTitleAsync(string memberId, string titleId, CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow().ToUnixTimeMilliseconds();
        await stores.Primary.HideTitleAsync(memberId, titleId, at, cancellationToken);
        if (stores.Shadow is { } shadow)
        {
            await shadow.HideTitleAsync(memberId, titleId, at, cancellationToken);
        }
    }

    public async Task HideAllAsync(string memberId, CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow().ToUnixTimeMilliseconds();
        await stores.Primary.HideAllAsync(memberId, at, cancellationToken);
        if (stores.Shadow is { } shadow)
        {
            await shadow.HideAllAsync(memberId, at, cancellationToken);
        }
    }

    /// <summary>
    /// Erases the member (CONTRACT.md "Member data rights"): the primary store records the mark (T inside its
    /// transaction) and deletes the member's rows; the shadow store gets the same T. A repeat while the erasure is
    /// pending returns the same mark.
    /// </summary>
    public async Task<ErasureRecord> EraseAsync(string memberId, CancellationToken cancellationToken)
    {
        var record = await stores.Primary.EraseMemberAsync(memberId, null, cancellationToken);
        if (stores.Shadow is { } shadow)
        {
            await shadow.EraseMemberAsync(memberId, record.RequestedAtMs, cancellationToken);
        }

        return record;
    }
}
