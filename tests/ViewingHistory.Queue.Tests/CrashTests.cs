using System.Diagnostics;
using System.Globalization;
using ViewingHistory.Testing;
using Xunit;
using static ViewingHistory.Queue.Tests.TestBatches;

namespace ViewingHistory.Queue.Tests;

public sealed class CrashTests(Xunit.Abstractions.ITestOutputHelper output)
{
    // Enough commits that recovery needs both a commit metadata file and the commit records written after it.
    private const int AcksBeforeKill = 10_000;

    [Fact(Timeout = 120_000)]
    public async Task Every_batch_acknowledged_before_a_kill_9_is_in_the_log_after_recovery()
    {
        using var dir = new TempDirectory();
        var acked = new HashSet<long>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = Path.Combine(AppContext.BaseDirectory, "ViewingHistory.Queue.CrashHost.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(host);
        start.ArgumentList.Add(dir.Path);
        start.ArgumentList.Add("8");

        using var process = Process.Start(start)!;
        output.WriteLine("started");
        var reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line == "READY")
                {
                    ready.TrySetResult();
                }
                else if (line.StartsWith("ACK ", StringComparison.Ordinal))
                {
                    lock (acked)
                    {
                        acked.Add(long.Parse(line.AsSpan(4), CultureInfo.InvariantCulture));
                        if (acked.Count >= AcksBeforeKill)
                        {
                            enough.TrySetResult();
                        }
                    }
                }
            }
        });
        var stderr = process.StandardError.ReadToEndAsync();

        try
        {
            await Task.WhenAny(enough.Task, process.WaitForExitAsync()).WaitAsync(WaitLimit);
            if (process.HasExited)
            {
                Assert.Fail("The crash host exited by itself: " + await stderr);
            }
        }
        finally
        {
            // SIGKILL on Linux: no finalizers, no flush, no dispose.
            process.Kill();
        }

        output.WriteLine("killed");
        await process.WaitForExitAsync().WaitAsync(WaitLimit);
        output.WriteLine("exited");
        await reading.WaitAsync(WaitLimit);
        Assert.True(ready.Task.IsCompleted);

        output.WriteLine($"read {acked.Count}");
        await using var queue = await OpenAsync(Options(dir.Path));
        output.WriteLine("opened");
        await using var consumer = queue.OpenConsumer("verify");
        var found = new HashSet<long>();
        while (true)
        {
            var delivery = await consumer.ReceiveAsync(10_000, TimeSpan.FromMilliseconds(300), CancellationToken.None);
            if (delivery.Entries.Count == 0)
            {
                break;
            }

            foreach (var entry in delivery.Entries)
            {
                Assert.Null(entry.DecodeError);
                found.Add(entry.Batch!.AcceptedAtMs);
            }
        }

        output.WriteLine($"found {found.Count}");
        var lost = acked.Except(found).Order().Take(10).ToList();
        Assert.True(lost.Count == 0, $"{acked.Count} acknowledged, {found.Count} recovered; lost e.g. {string.Join(", ", lost)}");
        Assert.True(acked.Count >= AcksBeforeKill);

        // The recovered log keeps taking appends.
        await queue.AppendAsync(Make("after-crash"), CancellationToken.None);
        var after = await ReceiveEntriesAsync(consumer, 1);
        Assert.Equal("after-crash-0", after[0].Entries[0].Batch!.Events[0].EventId);
    }
}
