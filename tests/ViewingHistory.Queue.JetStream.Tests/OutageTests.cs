using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ViewingHistory.Queue.JetStream;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;
using Xunit;
using static ViewingHistory.Queue.JetStream.Tests.TestQueues;

namespace ViewingHistory.Queue.JetStream.Tests;

/// <summary>Each test runs its own server, because it kills it.</summary>
public sealed class OutageTests
{
    [Fact(Timeout = 90_000)]
    public async Task An_append_while_the_server_is_down_fails_with_QueueUnavailableException_instead_of_hanging()
    {
        await using var server = await NatsServer.StartNewAsync();
        var options = Options(server.Url) with { AppendRetryBudget = TimeSpan.FromSeconds(3), PublishAttemptTimeout = TimeSpan.FromSeconds(1) };
        await using var queue = await StartAsync(options);
        await queue.AppendAsync(Batch("before", 2), Within(10));

        server.Stop();

        // The test's own token is far longer than the retry budget: the queue must give up by itself.
        await Assert.ThrowsAsync<QueueUnavailableException>(async () => await queue.AppendAsync(Batch("during", 2), Within(60)));
        Assert.False(await queue.IsHealthyAsync(Within(10)));
    }

    [Fact(Timeout = 90_000)]
    public async Task After_the_server_comes_back_appends_succeed_and_earlier_batches_are_still_delivered()
    {
        await using var server = await NatsServer.StartNewAsync();
        var options = Options(server.Url) with { AppendRetryBudget = TimeSpan.FromSeconds(3), PublishAttemptTimeout = TimeSpan.FromSeconds(1) };
        await using var queue = await StartAsync(options);
        var before = Batch("before", 2);
        await queue.AppendAsync(before, Within(10));

        server.Stop();
        await Assert.ThrowsAsync<QueueUnavailableException>(async () => await queue.AppendAsync(Batch("during", 2), Within(60)));
        await server.StartAsync();
        await Eventually.UntilAsync(async () => await queue.IsHealthyAsync(Within(10)), TimeSpan.FromSeconds(30), "the queue to be healthy again");

        var after = Batch("after", 2);
        await queue.AppendAsync(after, Within(30));

        // The refused batch may or may not have reached the server (a 503 promises nothing); these two must have.
        var seen = await ReceiveIdsAsync(queue.OpenConsumer("processor"), [BatchId.Of(before), BatchId.Of(after)], TimeSpan.FromSeconds(30));
        Assert.Contains(BatchId.Of(before), seen);
    }

    [Fact(Timeout = 90_000)]
    public async Task A_receive_while_the_server_is_down_ends_instead_of_hanging()
    {
        await using var server = await NatsServer.StartNewAsync();
        var options = Options(server.Url) with { PublishAttemptTimeout = TimeSpan.FromSeconds(1) };
        await using var queue = await StartAsync(options);
        var consumer = queue.OpenConsumer("processor");
        Assert.Empty((await consumer.ReceiveAsync(10, TimeSpan.Zero, Within(10))).Entries);

        server.Stop();

        // Either outcome is honest (nothing there, or the queue is unreachable); waiting for the server is not.
        try
        {
            var delivery = await consumer.ReceiveAsync(10, TimeSpan.FromSeconds(1), Within(60));
            Assert.Empty(delivery.Entries);
        }
        catch (QueueUnavailableException)
        {
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Initializing_against_a_server_that_accepts_and_never_answers_ends_with_the_callers_token()
    {
        // A port that takes the connection and says nothing (no INFO): a half-dead node or a wrong service behind it.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<TcpClient>();
        using var stop = new CancellationTokenSource();
        var acceptLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                accepted.Add(await silent.AcceptTcpClientAsync(stop.Token));
            }
        });
        try
        {
            await using var queue = new JetStreamEventQueue(Options($"nats://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}"));
            var clock = Stopwatch.StartNew();
            var refused = await Assert.ThrowsAnyAsync<Exception>(async () => await queue.InitializeAsync(Within(3)));
            Assert.True(refused is QueueUnavailableException or OperationCanceledException, refused.ToString());
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"InitializeAsync took {clock.Elapsed} with a 3 s token");
        }
        finally
        {
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => acceptLoop);
            accepted.ForEach(c => c.Dispose());
        }
    }
}
