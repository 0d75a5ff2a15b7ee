using ViewingHistory.Testing.Nats;
using Xunit;

namespace ViewingHistory.Testing;

/// <summary>
/// One nats-server and one PostgreSQL shared by a test assembly through a collection fixture (started once, in
/// parallel); each fixture or test takes its own stream and database, so they stay independent.
/// </summary>
public sealed class DistributedEngines : IAsyncLifetime
{
    public NatsServer Nats { get; } = new();

    public PostgresServer Postgres { get; } = new();

    public Task InitializeAsync() => Task.WhenAll(((IAsyncLifetime)Nats).InitializeAsync(), Postgres.InitializeAsync());

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Nats).DisposeAsync();
        await Postgres.DisposeAsync();
    }

    /// <summary>A fresh JetStream stream name (upper case, no dots: a valid stream and subject token).</summary>
    public static string NewStreamName() => "VH_" + Guid.NewGuid().ToString("N").ToUpperInvariant();

    /// <summary>
    /// Server settings that keep a deployment's JetStream state apart from others on the same server: its event
    /// stream (and so its DLQ and consumers), and the change relay's stream, subjects and position.
    /// </summary>
    public static Dictionary<string, string> StreamSettings(string streamName) => new()
    {
        ["Queue:StreamName"] = streamName,
        ["Feed:RelayStream"] = streamName + "_CHANGES",
        ["Feed:RelaySubjectPrefix"] = streamName + "_CHANGES",
    };
}
