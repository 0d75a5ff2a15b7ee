using ViewingHistory.Store;

namespace ViewingHistory.Pipeline;

/// <summary>
/// Hides, at server time. Hides go to the store directly in every mode (CONTRACT.md: a hide shows in reads as
/// soon as the DELETE returns); in shadow mode the shadow store gets the same mark, so the two stay comparable.
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
}
