using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ViewingHistory.Pipeline.Shadow;

/// <summary>
/// In shadow mode, continuously compares a sample of recently changed members: it tails the authoritative store's
/// change feed, takes up to <see cref="SampleSize"/> members per round, and compares them once the shadow path has
/// had time to catch up.
/// </summary>
public sealed partial class ShadowSampler(ShadowComparer comparer, StoreSet stores, TimeProvider time, ILogger<ShadowSampler> logger) : BackgroundService
{
    public const int SampleSize = 50;
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!comparer.Enabled)
        {
            return;
        }

        try
        {
            // Start at the end of the feed: the sample is of what changes from now on. The store may be down at start
            // (it is then initialized when it answers): wait for it as the rounds do, without ending the service.
            long position;
            while (true)
            {
                try
                {
                    position = await SkipToEndAsync(stoppingToken);
                    break;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogFailed(ex);
                    await Task.Delay(Interval, time, stoppingToken);
                }
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(Interval, time, stoppingToken);
                try
                {
                    var members = new HashSet<string>(StringComparer.Ordinal);
                    while (members.Count < SampleSize)
                    {
                        var page = await stores.Primary.ReadChangesAsync(position, 1000, stoppingToken);
                        foreach (var change in page.Changes)
                        {
                            if (members.Count < SampleSize)
                            {
                                members.Add(change.MemberId);
                            }
                        }

                        position = page.Next;
                        if (page.Changes.Count < 1000)
                        {
                            break;
                        }
                    }

                    if (members.Count > 0)
                    {
                        await comparer.CompareMembersAsync(members, Settle, stoppingToken);
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task<long> SkipToEndAsync(CancellationToken cancellationToken)
    {
        long position = 0;
        while (true)
        {
            var page = await stores.Primary.ReadChangesAsync(position, 1000, cancellationToken);
            position = page.Next;
            if (page.Changes.Count < 1000)
            {
                return position;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A shadow comparison round failed; the next round goes on")]
    private partial void LogFailed(Exception exception);
}
