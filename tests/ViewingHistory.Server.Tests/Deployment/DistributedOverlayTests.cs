using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Deployment;

/// <summary>
/// The distributed overlay's settings run the split roles end to end: its ingest + api pod and its processor pod,
/// each started in this process with the settings the manifests give them, on a real nats-server and PostgreSQL.
/// </summary>
[Collection(DistributedEnginesCollection.Name)]
public sealed class DistributedOverlayTests(DistributedEngines engines)
{
    [Fact]
    public async Task The_ingest_api_and_processor_pods_settings_take_an_event_from_its_post_to_the_reads()
    {
        var objects = await KubernetesManifestTests.RenderAndCheckAsync(Path.Combine(KubernetesManifestTests.Overlays, "distributed"));
        var byName = KubernetesManifestTests.Workloads(objects).ToDictionary(w => (string)w["metadata"]!["name"]!);
        var connectionString = await engines.Postgres.CreateDatabaseAsync();
        var stream = DistributedEngines.NewStreamName();
        using var ingestDir = new TempDirectory("vh-k8s-ingest");
        using var processorDir = new TempDirectory("vh-k8s-processor");
        using var archiveDir = new TempDirectory("vh-k8s-archive");

        // What the cluster provides is replaced by the test's: the volumes, the Secret (the test credentials
        // InProcessHost sets, the connection string of a database of this test's), the NATS Service (one test
        // nats-server: one replica, where the cluster has three), a stream of this test's; no listening port.
        IReadOnlyDictionary<string, string?> AsTheTestRunsIt(string workload, string dataDir)
        {
            var settings = KubernetesManifestTests.Settings(objects, byName[workload]);
            Assert.Equal("jetstream", settings["Queue__Kind"]);
            Assert.Equal("postgres", settings["Store__Kind"]);
            settings["DataDir"] = dataDir;
            settings["Queue__Url"] = engines.Nats.Url;
            settings["Queue__Replicas"] = "1";
            settings["Store__ConnectionString"] = connectionString;
            settings["Archive__Path"] = archiveDir.Path;
            KubernetesManifestTests.MountConfigFile(objects, byName[workload], settings, dataDir);
            var configuration = settings
                .Where(s => s.Key != "ASPNETCORE_HTTP_PORTS")
                .ToDictionary(s => s.Key.Replace("__", ":", StringComparison.Ordinal), s => (string?)s.Value);
            foreach (var (key, value) in DistributedEngines.StreamSettings(stream))
            {
                configuration[key] = value;
            }

            return configuration;
        }

        await using var ingest = InProcessHost.Start(ingestDir.Path, AsTheTestRunsIt("viewing-history", ingestDir.Path));
        await using var processor = InProcessHost.Start(processorDir.Path, AsTheTestRunsIt("viewing-history-processor", processorDir.Path));

        Assert.Equal(["ingest", "api"], await ReadyRolesAsync(ingest));
        Assert.Equal(["processor"], await ReadyRolesAsync(processor));
        var member = Ev.NewId("k8s");
        await ingest.Contract.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "t1")));
        var items = await ingest.Contract.WaitForTitleAsync(member, "t1");
        Assert.Equal("t1", (string?)Assert.Single(items)["titleId"]);
    }

    private static async Task<List<string>> ReadyRolesAsync(InProcessHost host) =>
        [.. (await host.WaitReadyAsync())["roles"]!.AsObject().Select(r => r.Key)];
}
