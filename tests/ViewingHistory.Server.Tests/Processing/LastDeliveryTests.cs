using Npgsql;
using ViewingHistory.Core.Events;
using ViewingHistory.Queue.JetStream;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Store.Postgres;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Processing;

/// <summary>
/// DESIGN.md trap: after MaxDeliver, JetStream stops redelivering silently. A batch that fails permanently on its
/// last delivery must go to the dead-letter queue then, not after the processor's usual MaxAttempts retries (a
/// crash during those would lose it for good).
/// </summary>
[Collection(DistributedEnginesCollection.Name)]
public sealed class LastDeliveryTests(DistributedEngines engines)
{
    [Fact]
    public async Task A_batch_failing_permanently_on_its_last_JetStream_delivery_is_dead_lettered_at_once()
    {
        var stream = DistributedEngines.NewStreamName();
        var connectionString = await engines.Postgres.CreateDatabaseAsync();
        var member = Ev.NewId("poison");

        // A real permanent failure: the database refuses this member's rows (check_violation is not transient).
        await new PostgresHistoryStore(connectionString).InitializeAsync(CancellationToken.None);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"ALTER TABLE sessions ADD CONSTRAINT refuse_poison CHECK (member_id <> '{member}')", connection);
            await command.ExecuteNonQueryAsync();
        }

        // Delivery 1 of 2 is taken and never acknowledged (a processor that crashed), so the server's processor
        // sees the batch on its last delivery.
        var queueOptions = new JetStreamQueueOptions
        {
            Url = engines.Nats.Url,
            StreamName = stream,
            AckWait = TimeSpan.FromSeconds(1),
            Backoff = [TimeSpan.FromSeconds(1)],
            MaxDeliver = 2,
        };
        await using var queue = new JetStreamEventQueue(queueOptions);
        await queue.InitializeAsync(CancellationToken.None);
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await queue.AppendAsync(new AcceptedBatch(at, [new PlaybackEvent(Ev.NewId("e"), member, "t1", "s1", 0, PlaybackEventType.Progress, 0, 100_000, at, null)]), CancellationToken.None);
        await using (var crashed = queue.OpenConsumer("processor"))
        {
            var first = await crashed.ReceiveAsync(100, TimeSpan.FromSeconds(5), CancellationToken.None);
            Assert.Equal(1, Assert.Single(first.Entries).DeliveryCount);
        }

        // Retries of permanent failures alone would take minutes: 100 attempts, backing off up to a minute.
        var server = new Server(new Dictionary<string, string?>
        {
            ["Queue:Kind"] = "jetstream",
            ["Queue:Url"] = engines.Nats.Url,
            ["Queue:StreamName"] = stream,
            ["Queue:AckWait"] = "00:00:01",
            ["Queue:Backoff:0"] = "00:00:01",
            ["Queue:MaxDeliver"] = "2",
            ["Store:Kind"] = "postgres",
            ["Store:ConnectionString"] = connectionString,
            ["Processor:MaxAttempts"] = "100",
            ["Processor:MaxBackoff"] = "00:01:00",
        });
        try
        {
            await server.InitializeAsync();
            var deadLetters = await Eventually.UntilAsync(
                () => queue.DeadLetters.ListAsync(10, CancellationToken.None),
                list => list.Count > 0,
                TimeSpan.FromSeconds(30),
                "the batch to be dead-lettered on its last delivery");
            Assert.Contains("refuse_poison", Assert.Single(deadLetters).Reason, StringComparison.Ordinal);
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
