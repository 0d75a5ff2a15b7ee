using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Contract;

/// <summary>The contract in async mode on the distributed engines: JetStream and PostgreSQL.</summary>
[Collection(DistributedEnginesCollection.Name)]
public sealed class AsyncJetStreamPostgresContract(AsyncJetStreamPostgresFixture fixture) : ContractSuite<AsyncJetStreamPostgresFixture>(fixture);

/// <summary>The pre-migration sync path on JetStream and PostgreSQL: the request writes PostgreSQL before it answers.</summary>
[Collection(DistributedEnginesCollection.Name)]
public sealed class SyncJetStreamPostgresContract(SyncJetStreamPostgresFixture fixture) : ContractSuite<SyncJetStreamPostgresFixture>(fixture);

/// <summary>A mixed pair: the embedded log in front of PostgreSQL.</summary>
[Collection(DistributedEnginesCollection.Name)]
public sealed class AsyncEmbeddedPostgresContract(AsyncEmbeddedPostgresFixture fixture) : ContractSuite<AsyncEmbeddedPostgresFixture>(fixture);

/// <summary>A mixed pair: JetStream in front of SQLite.</summary>
[Collection(DistributedEnginesCollection.Name)]
public sealed class AsyncJetStreamSqliteContract(AsyncJetStreamSqliteFixture fixture) : ContractSuite<AsyncJetStreamSqliteFixture>(fixture);
