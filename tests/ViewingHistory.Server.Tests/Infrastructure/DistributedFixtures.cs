using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Infrastructure;

/// <summary>
/// The server in process on JetStream and/or PostgreSQL from <see cref="DistributedEngines"/>, with a stream and a
/// database of its own. Split roles are covered by the process tests (ViewingHistory.EndToEnd.Tests).
/// </summary>
public abstract class DistributedServiceFixture(DistributedEngines engines, string mode, bool jetStream, bool postgres) : InProcessServiceFixture
{
    private readonly Dictionary<string, string?> _settings = new() { ["Pipeline:Mode"] = mode };

    public override bool EventuallyConsistent => mode != "sync";

    protected override IReadOnlyDictionary<string, string?> Settings => _settings;

    protected override async Task PrepareAsync()
    {
        if (jetStream)
        {
            _settings["Queue:Kind"] = "jetstream";
            _settings["Queue:Url"] = engines.Nats.Url;
            foreach (var (key, value) in DistributedEngines.StreamSettings(DistributedEngines.NewStreamName()))
            {
                _settings[key] = value;
            }
        }

        if (postgres)
        {
            _settings["Store:Kind"] = "postgres";
            _settings["Store:ConnectionString"] = await engines.Postgres.CreateDatabaseAsync();
        }
    }
}

public sealed class AsyncJetStreamPostgresFixture(DistributedEngines engines) : DistributedServiceFixture(engines, "async", jetStream: true, postgres: true);

public sealed class SyncJetStreamPostgresFixture(DistributedEngines engines) : DistributedServiceFixture(engines, "sync", jetStream: true, postgres: true);

public sealed class AsyncEmbeddedPostgresFixture(DistributedEngines engines) : DistributedServiceFixture(engines, "async", jetStream: false, postgres: true);

public sealed class AsyncJetStreamSqliteFixture(DistributedEngines engines) : DistributedServiceFixture(engines, "async", jetStream: true, postgres: false);
