using ViewingHistory.Core.Diagnostics;
using ViewingHistory.Pipeline.Processing;

namespace ViewingHistory.Pipeline.Tests.Processing;

/// <summary>
/// The archive's threads: work started there stays there across its awaits, at the nice value asked for, and nothing
/// queued from elsewhere runs inline at their priority; once disposed, late work still runs (on the pool).
/// </summary>
public sealed class BackgroundSchedulerTests
{
    [Fact(Timeout = 30_000)]
    public async Task Work_and_every_continuation_of_it_run_on_the_lowered_threads()
    {
        using var scheduler = new BackgroundScheduler("Test background", threads: 1, nice: 7);
        var seen = new List<(string? Thread, int? Nice)>();
        await scheduler.RunAsync(async () =>
        {
            seen.Add((Thread.CurrentThread.Name, CpuPriority.CurrentThreadNice()));
            await Task.Delay(20);
            seen.Add((Thread.CurrentThread.Name, CpuPriority.CurrentThreadNice()));
            await Task.Yield();
            seen.Add((Thread.CurrentThread.Name, CpuPriority.CurrentThreadNice()));
        });

        Assert.Equal(3, seen.Count);
        Assert.All(seen, s => Assert.Equal("Test background", s.Thread));
        if (OperatingSystem.IsLinux())
        {
            Assert.All(seen, s => Assert.Equal(7, s.Nice));
            Assert.Equal(1, scheduler.LoweredThreads);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task The_pool_keeps_its_priority()
    {
        using var scheduler = new BackgroundScheduler("Test background", threads: 2, nice: 12);
        await scheduler.RunAsync(() => Task.CompletedTask);
        var onPool = await Task.Run(CpuPriority.CurrentThreadNice);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(0, onPool);
            Assert.Equal(2, scheduler.LoweredThreads);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_continuation_due_after_dispose_still_runs()
    {
        var scheduler = new BackgroundScheduler("Test background", threads: 1, nice: 3);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var after = scheduler.RunAsync(async () =>
        {
            await release.Task;
            await Task.Yield();
        });

        scheduler.Dispose();
        release.SetResult();
        await after.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Nice_values_outside_0_to_19_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackgroundScheduler("x", 1, 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackgroundScheduler("x", 1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackgroundScheduler("x", 0, 5));
    }

    [Fact(Timeout = 30_000)]
    public async Task Nice_0_leaves_the_threads_as_they_are()
    {
        using var scheduler = new BackgroundScheduler("Test background", threads: 1, nice: 0);
        int? nice = null;
        await scheduler.RunAsync(() =>
        {
            nice = CpuPriority.CurrentThreadNice();
            return Task.CompletedTask;
        });
        Assert.Equal(0, scheduler.LoweredThreads);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(0, nice);
        }
    }
}
