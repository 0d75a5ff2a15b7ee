using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Contract;

/// <summary>The contract in sync mode (the pre-migration path) on the embedded engines.</summary>
public sealed class SyncEmbeddedSqliteContract(SyncEmbeddedSqliteFixture fixture) : ContractSuite<SyncEmbeddedSqliteFixture>(fixture);

/// <summary>The contract in async mode (the default) on the embedded engines.</summary>
public sealed class AsyncEmbeddedSqliteContract(AsyncEmbeddedSqliteFixture fixture) : ContractSuite<AsyncEmbeddedSqliteFixture>(fixture);

/// <summary>The contract in shadow mode: answers come from the sync path, unchanged.</summary>
public sealed class ShadowEmbeddedSqliteContract(ShadowEmbeddedSqliteFixture fixture) : ContractSuite<ShadowEmbeddedSqliteFixture>(fixture);
