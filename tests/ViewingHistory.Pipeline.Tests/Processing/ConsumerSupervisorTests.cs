using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ViewingHistory.Pipeline.Processing;
using ViewingHistory.Pipeline.Tests.Infrastructure;
using ViewingHistory.Queue.Embedded;
using ViewingHistory.Testing;

namespace ViewingHistory.Pipeline.Tests.Processing;

/// <summary>
/// The one supervisor of the processor and archive hosts, on the embedded log: a consumer that fails while holding a
/// delivery is run again on a fresh consumer, and the delivery it held comes again (nothing stranded in the failed one).
/// </summary>
public sealed class ConsumerSupervisorTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new("vh-pipeline-supervisor");

    [Fact(Timeout = 60_000)]
    public async Task A_consumer_that_fails_holding_a_delivery_is_restarted_fresh_and_the_delivery_comes_again()
    {
        await using var queue = new EmbeddedEventQueue(new EmbeddedQueueOptions { Directory = Path.Combine(_dir.Path, "queue") });
        await queue.InitializeAsync(CancellationToken.None);
        await queue.AppendAsync(Batches.One(Batches.NewId("m"), "t1"), CancellationToken.None);
        using var logs = new LogCapture();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var supervisor = new ConsumerSupervisor(queue, TimeProvider.System, loggers.CreateLogger<ConsumerSupervisorTests>());
        var runs = 0;
        var seen = new ConcurrentQueue<(int Run, string Entry)>();

        supervisor.Start("processor", async (consumer, stopping, drain) =>
        {
            var run = Interlocked.Increment(ref runs);
            try
            {
                while (!stopping.IsCancellationRequested)
                {
                    var delivery = await consumer.ReceiveAsync(100, TimeSpan.FromMilliseconds(200), stopping);
                    foreach (var entry in delivery.Entries)
                    {
                        seen.Enqueue((run, entry.Id));
                    }

                    if (delivery.Entries.Count > 0)
                    {
                        // The first run fails holding the delivery, as a processor meeting a bug would.
                        if (run == 1)
                        {
                            throw new InvalidOperationException("The consumer failed while holding a delivery.");
                        }

                        await consumer.AckAsync(delivery, drain);
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
        });

        try
        {
            await Eventually.UntilAsync(() => Task.FromResult(seen.Any(s => s.Run == 2)), Deadline, "the restarted consumer to receive the delivery again");
        }
        finally
        {
            using var stop = new CancellationTokenSource(Deadline);
            await supervisor.StopAsync(stop.Token);
        }

        var byRun = seen.ToArray();
        Assert.Equal(byRun.Where(s => s.Run == 1).Select(s => s.Entry), byRun.Where(s => s.Run == 2).Select(s => s.Entry));
        Assert.Equal(1, logs.Count("failed; restarting it in 1 s"));
    }

    public void Dispose() => _dir.Dispose();
}
