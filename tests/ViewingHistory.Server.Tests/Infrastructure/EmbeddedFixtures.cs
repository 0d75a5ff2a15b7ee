namespace ViewingHistory.Server.Tests.Infrastructure;

/// <summary>The pre-migration path on the embedded engines: the ingest request writes SQLite before it answers.</summary>
public sealed class SyncEmbeddedSqliteFixture : InProcessServiceFixture
{
    public override bool EventuallyConsistent => false;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?> { ["Pipeline:Mode"] = "sync" };
}

/// <summary>The default: async path, embedded log, SQLite.</summary>
public sealed class AsyncEmbeddedSqliteFixture : InProcessServiceFixture
{
    public override bool EventuallyConsistent => true;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?> { ["Pipeline:Mode"] = "async" };
}

/// <summary>Shadow mode on the embedded engines: the sync path is authoritative, the async path builds a shadow store.</summary>
public sealed class ShadowEmbeddedSqliteFixture : InProcessServiceFixture
{
    public override bool EventuallyConsistent => false;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?> { ["Pipeline:Mode"] = "shadow" };
}
