using ViewingHistory.Testing;
using Xunit;
using static ViewingHistory.Queue.Tests.TestBatches;

namespace ViewingHistory.Queue.Tests;

public sealed class AppendAndReceiveTests
{
    [Fact(Timeout = 120_000)]
    public async Task Every_completed_concurrent_append_is_delivered_again_after_a_reopen_without_acks()
    {
        // Delivery of concurrent appends is in the conformance suite; this is the log's own promise that an append
        // completes only once its group commit is on disk, so a reopen finds every one.
        using var dir = new TempDirectory();
        const int appenders = 32;
        const int perAppender = 25;
        var expected = Enumerable.Range(0, appenders)
            .SelectMany(a => Enumerable.Range(0, perAppender).SelectMany(i => Make($"c{a}x{i}", 1 + (i % 3)).Events))
            .Select(e => e.EventId)
            .Order(StringComparer.Ordinal)
            .ToList();
        await using (var queue = await OpenAsync(Options(dir.Path)))
        {
            await Task.WhenAll(Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
            {
                for (var i = 0; i < perAppender; i++)
                {
                    await queue.AppendAsync(Make($"c{a}x{i}", 1 + (i % 3)), CancellationToken.None);
                }
            })));
        }

        await using var reopened = await OpenAsync(Options(dir.Path));
        await using var consumer = reopened.OpenConsumer("processor");
        var ids = EventIds(await ReceiveEntriesAsync(consumer, appenders * perAppender));

        Assert.Equal(expected, ids.Order(StringComparer.Ordinal));
        await AssertNothingMoreAsync(consumer);
    }

    [Fact(Timeout = 60_000)]
    public async Task Appends_after_the_queue_is_disposed_fail_as_unavailable()
    {
        using var dir = new TempDirectory();
        var queue = await OpenAsync(Options(dir.Path));
        await queue.DisposeAsync();

        await Assert.ThrowsAsync<QueueUnavailableException>(async () => await queue.AppendAsync(Make("late"), CancellationToken.None));
        Assert.False(await queue.IsHealthyAsync(CancellationToken.None));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_second_queue_on_the_same_directory_is_refused_while_the_first_is_open()
    {
        using var dir = new TempDirectory();
        Assert.False(Embedded.EmbeddedEventQueue.IsInUse(Path.Combine(dir.Path, "never-created")));
        Assert.False(Embedded.EmbeddedEventQueue.IsInUse(dir.Path));
        await using (var first = await OpenAsync(Options(dir.Path)))
        {
            Assert.True(Embedded.EmbeddedEventQueue.IsInUse(dir.Path));
            var second = new Embedded.EmbeddedEventQueue(Options(dir.Path));
            await Assert.ThrowsAsync<InvalidOperationException>(() => second.InitializeAsync(CancellationToken.None));
            await second.DisposeAsync();
        }

        Assert.False(Embedded.EmbeddedEventQueue.IsInUse(dir.Path));
        await using var reopened = await OpenAsync(Options(dir.Path));
        Assert.True(await reopened.IsHealthyAsync(CancellationToken.None));
    }

    [Fact(Timeout = 60_000)]
    public async Task Appends_fail_as_unavailable_once_the_size_bound_is_reached()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path) with { MaxBytes = 16 * 1024 });
        Assert.True(await queue.IsHealthyAsync(CancellationToken.None));

        var appended = 0;
        var refused = await Assert.ThrowsAsync<QueueUnavailableException>(async () =>
        {
            while (appended < 10_000)
            {
                await queue.AppendAsync(Make("full" + appended, 5), CancellationToken.None);
                appended++;
            }
        });

        Assert.InRange(appended, 1, 9_999);
        Assert.Contains("bound", refused.Message, StringComparison.Ordinal);
        Assert.False(await queue.IsHealthyAsync(CancellationToken.None));
    }

    [Fact(Timeout = 60_000)]
    public async Task Appends_fail_as_unavailable_when_the_disk_has_less_free_space_than_required()
    {
        using var dir = new TempDirectory();
        await using var queue = await OpenAsync(Options(dir.Path) with { MinFreeDiskBytes = long.MaxValue });

        await Assert.ThrowsAsync<QueueUnavailableException>(async () => await queue.AppendAsync(Make("nospace"), CancellationToken.None));
        Assert.False(await queue.IsHealthyAsync(CancellationToken.None));
    }
}
