using ViewingHistory.Testing;
using Xunit;
using static ViewingHistory.Queue.Tests.TestBatches;

namespace ViewingHistory.Queue.Tests;

/// <summary>
/// The committer's wake-up: only the first appender of a round signals it (later ones find the round requested), so a
/// lost signal would leave an appender waiting for a commit that never starts.
/// </summary>
public sealed class GroupCommitTests
{
    [Fact(Timeout = 120_000)]
    public async Task Every_append_completes_in_bursts_and_alone_and_concurrent_appends_share_commits()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path));
        var appends = 0;
        for (var round = 0; round < 50; round++)
        {
            // A burst: appenders arrive while a round is requested, closing and committing.
            await Task.WhenAll(Enumerable.Range(0, 16).Select(a => Task.Run(async () =>
                await queue.AppendAsync(Make($"r{round}a{a}"), CancellationToken.None))));
            appends += 16;

            // Then one alone, after the committer went idle: it must wake it.
            await queue.AppendAsync(Make($"r{round}single"), CancellationToken.None);
            appends++;
        }

        Assert.InRange(queue.Commits, 1, appends);
        await using var consumer = queue.OpenConsumer("processor");
        Assert.Equal(appends, EventIds(await ReceiveEntriesAsync(consumer, appends)).Distinct().Count());
    }
}
