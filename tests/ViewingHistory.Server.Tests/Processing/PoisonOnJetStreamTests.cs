using Npgsql;
using ViewingHistory.Core.Events;
using ViewingHistory.Queue;
using ViewingHistory.Queue.JetStream;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Store.Postgres;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Processing;

/// <summary>
/// Poison on JetStream and PostgreSQL, made real: the database refuses one member's rows (check_violation is not
/// transient). DESIGN.md trap: after MaxDeliver, JetStream stops redelivering silently, so a batch failing
/// permanently on its last delivery must go to the dead-letter queue then, not after the processor's usual
/// MaxAttempts retries (a crash during those would lose it for good).
/// </summary>
[Collection(DistributedEnginesCollection.Name)]
public sealed class PoisonOnJetStreamTests(DistributedEngines engines)
{
    [Fact]
    public async Task A_batch_failing_permanently_on_its_last_JetStream_delivery_is_dead_lettered_at_once()
    {
        var (queue, connectionString, member) = await PrepareAsync();
        await using var _ = queue;
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await queue.AppendAsync(new AcceptedBatch(at, [new PlaybackEvent(Ev.NewId("e"), member, "t1", "s1", 0, PlaybackEventType.Progress, 0, 100_000, at, null)]), CancellationToken.None);

        // Delivery 1 of 2 is taken and never acknowledged (a processor that crashed), so the server's processor
        // sees the batch on its last delivery.
        await using (var crashed = queue.OpenConsumer("processor"))
        {
            var first = await crashed.ReceiveAsync(100, TimeSpan.FromSeconds(5), CancellationToken.None);
            Assert.Equal(1, Assert.Single(first.Entries).DeliveryCount);
        }

        // Retries of permanent failures alone would take minutes: 100 attempts, backing off up to a minute.
        var deadLetter = await DeadLetterWithServerAsync(queue, connectionString, maxAttempts: 100, maxBackoff: "00:01:00", server => Task.CompletedTask);
        Assert.Contains("refuse_poison", deadLetter.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_failing_permanently_on_its_first_delivery_is_dead_lettered_after_MaxAttempts_and_the_rest_is_applied()
    {
        var (queue, connectionString, member) = await PrepareAsync();
        await using var _ = queue;
        var healthy = Ev.NewId("m");
        var deadLetter = await DeadLetterWithServerAsync(queue, connectionString, maxAttempts: 2, maxBackoff: "00:00:00.100", async server =>
        {
            var api = new ContractClient(server.Client, eventuallyConsistent: true);
            await api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "t1")));
            await api.PostAcceptedAsync(Ev.Batch(Ev.Make(healthy, "t1")));
            await api.WaitForTitleAsync(healthy, "t1");
        });
        Assert.Contains("refuse_poison", deadLetter.Reason, StringComparison.Ordinal);
        Assert.Equal(1, deadLetter.EventCount);
    }

    private static JetStreamQueueOptions QueueOptions(string url, string stream) => new()
    {
        Url = url,
        StreamName = stream,
        AckWait = TimeSpan.FromSeconds(1),
        Backoff = [TimeSpan.FromSeconds(1)],
        MaxDeliver = 2,
    };

    /// <summary>A fresh stream and database whose sessions table refuses one member; the queue is the test's own handle on the stream.</summary>
    private async Task<(JetStreamEventQueue Queue, string ConnectionString, string PoisonMember)> PrepareAsync()
    {
        var connectionString = await engines.Postgres.CreateDatabaseAsync();
        var member = Ev.NewId("poison");
        await new PostgresHistoryStore(connectionString).InitializeAsync(CancellationToken.None);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"ALTER TABLE sessions ADD CONSTRAINT refuse_poison CHECK (member_id <> '{member}')", connection);
            await command.ExecuteNonQueryAsync();
        }

        var queue = new JetStreamEventQueue(QueueOptions(engines.Nats.Url, DistributedEngines.NewStreamName()));
        await queue.InitializeAsync(CancellationToken.None);
        return (queue, connectionString, member);
    }

    /// <summary>Runs the server in process on the queue's stream, does <paramref name="act"/>, and waits for the one dead letter.</summary>
    private async Task<DeadLetter> DeadLetterWithServerAsync(JetStreamEventQueue queue, string connectionString, int maxAttempts, string maxBackoff, Func<Server, Task> act)
    {
        var options = queue.Options;
        var settings = new Dictionary<string, string?>
        {
            ["Queue:Kind"] = "jetstream",
            ["Queue:Url"] = options.Url,
            ["Queue:AckWait"] = "00:00:01",
            ["Queue:Backoff:0"] = "00:00:01",
            ["Queue:MaxDeliver"] = options.MaxDeliver.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Store:Kind"] = "postgres",
            ["Store:ConnectionString"] = connectionString,
            ["Processor:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Processor:MaxBackoff"] = maxBackoff,
        };
        foreach (var (key, value) in DistributedEngines.StreamSettings(options.StreamName))
        {
            settings[key] = value;
        }

        var server = new Server(settings);
        try
        {
            await server.InitializeAsync();
            await act(server);
            var deadLetters = await Eventually.UntilAsync(
                () => queue.DeadLetters.ListAsync(10, CancellationToken.None),
                list => list.Count > 0,
                TimeSpan.FromSeconds(30),
                "the poison batch to be dead-lettered");
            return Assert.Single(deadLetters);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private sealed class Server(IReadOnlyDictionary<string, string?> settings) : InProcessServiceFixture
    {
        public override bool EventuallyConsistent => true;

        protected override IReadOnlyDictionary<string, string?> Settings => settings;
    }
}
