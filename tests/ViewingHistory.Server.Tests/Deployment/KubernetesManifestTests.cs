using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ViewingHistory.Pipeline.Archive;
using ViewingHistory.Pipeline.Processing;
using ViewingHistory.Queue.JetStream;
using ViewingHistory.Server.Configuration;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Deployment;

/// <summary>
/// deploy/kubernetes (README "Run it on Kubernetes"): every overlay renders with <c>kubectl kustomize</c>, every object
/// passes its schema and the manifest rules of deploy/tools/check.mjs (offline: no cluster), and what the manifests say
/// about the service matches the code: the stream and consumers KEDA watches, the settings the pods are given, the
/// roles each workload plays. The embedded overlay's settings start a server that is ready.
/// </summary>
public sealed class KubernetesManifestTests
{
    internal static readonly string Overlays = Path.Combine(DeployTools.Deploy, "kubernetes", "overlays");

    [Fact]
    public async Task Every_overlay_renders_and_every_object_passes_its_schema_and_the_manifest_rules()
    {
        var overlays = Directory.GetDirectories(Overlays).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["distributed", "embedded"], overlays.Select(Path.GetFileName));
        foreach (var overlay in overlays)
        {
            var objects = await RenderAndCheckAsync(overlay);
            var servers = Workloads(objects).Where(w => Label(w, "app.kubernetes.io/name") == "viewing-history").ToList();
            Assert.NotEmpty(servers);
            foreach (var workload in servers)
            {
                AssertSettingsAreTheServices(objects, workload);
            }
        }
    }

    [Fact]
    public async Task The_embedded_overlay_is_one_pod_playing_every_role_replaced_not_rolled()
    {
        var objects = await RenderAndCheckAsync(Path.Combine(Overlays, "embedded"));

        var server = Assert.Single(Workloads(objects));
        Assert.Equal(ServiceRoles.All, ServiceRolesParser.Parse(Settings(objects, server)["Roles"]));
        Assert.Equal(1, (int?)server["spec"]?["replicas"]);
        Assert.Equal("Recreate", (string?)server["spec"]?["strategy"]?["type"]);
        Assert.NotNull(Volume(server, "data")?["persistentVolumeClaim"]);
        Assert.Null(Volume(server, "data")?["emptyDir"]);
        Assert.DoesNotContain(objects, o => (string?)o["kind"] is "ScaledObject" or "HorizontalPodAutoscaler");
    }

    [Fact]
    public async Task The_distributed_overlay_scales_processors_on_the_lag_of_the_consumers_the_code_runs_and_ingest_on_cpu()
    {
        var objects = await RenderAndCheckAsync(Path.Combine(Overlays, "distributed"));

        var byName = Workloads(objects).ToDictionary(w => (string)w["metadata"]!["name"]!);
        Assert.Equal(ServiceRoles.Ingest | ServiceRoles.Api, ServiceRolesParser.Parse(Settings(objects, byName["viewing-history"])["Roles"]));
        Assert.Equal(ServiceRoles.Processor, ServiceRolesParser.Parse(Settings(objects, byName["viewing-history-processor"])["Roles"]));
        Assert.Equal(3, (int?)byName["nats"]["spec"]?["replicas"]);
        Assert.Equal("3", Settings(objects, byName["viewing-history-processor"])["Queue__Replicas"]);

        // KEDA watches every stream the code creates for the configured Queue:Streams, and on each the server-side
        // durable consumer of everything a processor pod runs (the history's and the archive's).
        var scaled = Assert.Single(objects, o => (string?)o["kind"] == "ScaledObject");
        Assert.Equal("viewing-history-processor", (string?)scaled["spec"]?["scaleTargetRef"]?["name"]);
        var triggers = scaled["spec"]!["triggers"]!.AsArray().Select(t => t!).ToList();
        var lag = triggers.Where(t => (string?)t["type"] == "nats-jetstream").ToList();
        var streams = int.Parse(Settings(objects, byName["viewing-history-processor"])["Queue__Streams"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(streams > 1, "the distributed overlay shards the queue");
        Assert.Equal(streams, int.Parse(Settings(objects, byName["viewing-history"])["Queue__Streams"], System.Globalization.CultureInfo.InvariantCulture));
        var options = new JetStreamQueueOptions { Streams = streams };
        Assert.Null(options.FindProblem());
        var expected = Enumerable.Range(0, streams)
            .SelectMany(i => new[] { ArchiveHost.ConsumerName, ProcessorHost.PrimaryConsumer }.Select(c => $"{options.StreamNameOf(i)}/{JetStreamQueueOptions.DurableNameOf(c)}"))
            .Order(StringComparer.Ordinal);
        Assert.Equal(expected, lag.Select(t => $"{t["metadata"]!["stream"]}/{t["metadata"]!["consumer"]}").Order(StringComparer.Ordinal));
        Assert.All(lag, t => Assert.True(int.Parse((string)t["metadata"]!["lagThreshold"]!, System.Globalization.CultureInfo.InvariantCulture) > 0));
        Assert.Contains(triggers, t => (string?)t["type"] == "cpu");

        // The endpoint is the headless Service of the NATS pods (KEDA prefixes the consumer leader's server name) on its monitoring port.
        var headless = Assert.Single(objects, o => (string?)o["kind"] == "Service" && (string?)o["spec"]?["clusterIP"] == "None");
        var ns = (string)headless["metadata"]!["namespace"]!;
        var monitor = headless["spec"]!["ports"]!.AsArray().Single(p => (string?)p!["name"] == "monitor")!;
        Assert.All(lag, t => Assert.Equal($"{headless["metadata"]!["name"]}.{ns}.svc.cluster.local:{monitor["port"]}", (string?)t["metadata"]?["natsServerMonitoringEndpoint"]));
        var config = (string)objects.Single(o => (string?)o["kind"] == "ConfigMap" && ((string?)o["metadata"]?["name"])!.StartsWith("nats-config", StringComparison.Ordinal))["data"]!["nats.conf"]!;
        Assert.Contains("server_name: $SERVER_NAME", config, StringComparison.Ordinal);
        Assert.Contains($"http: 0.0.0.0:{monitor["port"]}", config, StringComparison.Ordinal);

        // The servers reach NATS through a rendered Service on the client port.
        var url = new Uri(Settings(objects, byName["viewing-history"])["Queue__Url"]);
        var client = Assert.Single(objects, o => (string?)o["kind"] == "Service" && (string?)o["metadata"]?["name"] == url.Host);
        Assert.Contains(client["spec"]!["ports"]!.AsArray(), p => (int?)p!["port"] == url.Port);

        var hpa = Assert.Single(objects, o => (string?)o["kind"] == "HorizontalPodAutoscaler");
        Assert.Equal("viewing-history", (string?)hpa["spec"]?["scaleTargetRef"]?["name"]);
        Assert.Equal("cpu", (string?)hpa["spec"]?["metrics"]?[0]?["resource"]?["name"]);
    }

    [Fact]
    public async Task A_broken_manifest_fails_the_check()
    {
        var rendered = await DeployTools.RenderAsync(Path.Combine(Overlays, "distributed"));
        var broken = Path.Combine(Path.GetTempPath(), $"vh-broken-{Guid.NewGuid():N}.yaml");
        try
        {
            // A string where the schema wants an integer, a misspelt probe (so the container has none), and the reloadable
            // file mounted by subPath (the kubelet never updates such a mount).
            await File.WriteAllTextAsync(broken, rendered.Replace("containerPort: 8080", "containerPort: \"8080\"", StringComparison.Ordinal)
                .Replace("readinessProbe:", "readinesProbe:", StringComparison.Ordinal)
                .Replace("- mountPath: /etc/viewing-history\n", "- mountPath: /etc/viewing-history\n          subPath: pipeline.json\n", StringComparison.Ordinal));

            var (run, _) = await DeployTools.CheckAsync("manifests", broken);

            Assert.Equal(1, run.ExitCode);
            Assert.Contains("containerPort must be integer", run.Stderr, StringComparison.Ordinal);
            Assert.Contains("container server: no readinessProbe", run.Stderr, StringComparison.Ordinal);
            Assert.Contains("container server: ConfigFile's mount pipeline uses subPath", run.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Fact]
    public async Task The_embedded_overlays_settings_start_a_server_that_is_ready_for_every_role()
    {
        var objects = await RenderAndCheckAsync(Path.Combine(Overlays, "embedded"));
        var settings = Settings(objects, Assert.Single(Workloads(objects)));
        using var dir = new TempDirectory("vh-k8s-embedded");

        // As the pod gets them, but for what the cluster provides: the volume (a temp dir here), the listening port
        // (the test server has none) and the Secret (the test credentials InProcessHost sets).
        settings["DataDir"] = dir.Path;
        MountConfigFile(objects, Assert.Single(Workloads(objects)), settings, dir.Path);
        var configuration = settings
            .Where(s => s.Key != "ASPNETCORE_HTTP_PORTS")
            .ToDictionary(s => s.Key.Replace("__", ":", StringComparison.Ordinal), s => (string?)s.Value);
        await using var server = InProcessHost.Start(dir.Path, configuration);

        var ready = await server.WaitReadyAsync();
        Assert.Equal(["ingest", "processor", "api"], ready["roles"]!.AsObject().Select(r => r.Key));

        // check.mjs holds every grace period to DrainDelay + the host's ShutdownTimeout, which it takes to be 20 s.
        var shutdown = server.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
        Assert.True(shutdown == TimeSpan.FromSeconds(20), $"ShutdownTimeout is {shutdown}: change deploy/tools/check.mjs and the grace periods with it");
    }

    internal static async Task<List<JsonObject>> RenderAndCheckAsync(string overlay)
    {
        var rendered = Path.Combine(Path.GetTempPath(), $"vh-{Path.GetFileName(overlay)}-{Guid.NewGuid():N}.yaml");
        try
        {
            await File.WriteAllTextAsync(rendered, await DeployTools.RenderAsync(overlay));
            var (run, found) = await DeployTools.CheckAsync("manifests", rendered);
            Assert.True(run.ExitCode == 0, $"{Path.GetFileName(overlay)}: {run.Stderr}{run.Stdout}");
            return [.. found!.Select(o => o!.AsObject())];
        }
        finally
        {
            File.Delete(rendered);
        }
    }

    /// <summary>
    /// What the kubelet does for the pod's <c>ConfigFile</c>: the keys of the ConfigMap volume mounted at the file's
    /// directory, written under <paramref name="dir"/>, and the setting pointed there.
    /// </summary>
    internal static void MountConfigFile(List<JsonObject> objects, JsonObject workload, Dictionary<string, string> settings, string dir)
    {
        var file = settings["ConfigFile"];
        var container = workload["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var mount = container["volumeMounts"]!.AsArray().Single(m => (string?)m!["mountPath"] == Path.GetDirectoryName(file))!;
        var map = (string)Volume(workload, (string)mount["name"]!)!["configMap"]!["name"]!;
        var data = objects.Single(o => (string?)o["kind"] == "ConfigMap" && (string?)o["metadata"]?["name"] == map)["data"]!.AsObject();
        var volume = Directory.CreateDirectory(Path.Combine(dir, "configmap-" + map)).FullName;
        foreach (var (key, value) in data)
        {
            File.WriteAllText(Path.Combine(volume, key), (string)value!);
        }

        settings["ConfigFile"] = Path.Combine(volume, Path.GetFileName(file));
    }

    internal static IEnumerable<JsonObject> Workloads(List<JsonObject> objects) =>
        objects.Where(o => (string?)o["kind"] is "Deployment" or "StatefulSet");

    private static string? Label(JsonObject o, string key) => (string?)o["metadata"]?["labels"]?[key];

    private static JsonNode? Volume(JsonObject workload, string name) =>
        workload["spec"]!["template"]!["spec"]!["volumes"]!.AsArray().SingleOrDefault(v => (string?)v!["name"] == name);

    /// <summary>The settings the server container gets with a literal value: its ConfigMaps, then its env (which wins).</summary>
    internal static Dictionary<string, string> Settings(List<JsonObject> objects, JsonObject workload)
    {
        var container = workload["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var from in container["envFrom"]?.AsArray() ?? [])
        {
            var name = (string?)from!["configMapRef"]?["name"];
            var map = objects.Single(o => (string?)o["kind"] == "ConfigMap" && (string?)o["metadata"]?["name"] == name);
            foreach (var (key, value) in map["data"]!.AsObject())
            {
                settings[key] = (string)value!;
            }
        }

        foreach (var env in container["env"]?.AsArray() ?? [])
        {
            if ((string?)env!["value"] is { } value)
            {
                settings[(string)env["name"]!] = value;
            }
        }

        return settings;
    }

    /// <summary>
    /// Every setting a server pod is given (ConfigMap keys, env names, Secret-backed ones too) is one the service reads:
    /// a framework variable, a top-level setting (<see cref="ServiceOptions"/>), <c>Queue:Kind</c> / <c>Store:Kind</c>
    /// (<see cref="EngineKinds"/>), or a property of an options type bound from that section. A misspelt key would be
    /// ignored by the server in silence.
    /// </summary>
    private static void AssertSettingsAreTheServices(List<JsonObject> objects, JsonObject workload)
    {
        var container = workload["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var keys = Settings(objects, workload).Keys.Concat((container["env"]?.AsArray() ?? []).Select(e => (string)e!["name"]!)).Distinct(StringComparer.Ordinal);
        var sections = OptionSections();
        foreach (var key in keys)
        {
            var parts = key.Split("__");
            var known = key.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || key.StartsWith("DOTNET_", StringComparison.Ordinal)
                || key == "ConfigFile" // read by the hosting itself (ViewingHistoryHostingExtensions)
                || (parts.Length == 1 && typeof(ServiceOptions).GetProperty(key) is not null)
                || (parts.Length >= 2 && parts[1] == "Kind" && parts[0] is "Queue" or "Store")
                || (parts.Length >= 2 && sections.TryGetValue(parts[0], out var properties) && properties.Contains(parts[1])
                    && (parts.Length == 2 || (parts.Length == 3 && int.TryParse(parts[2], out _))));
            Assert.True(known, $"{workload["metadata"]!["name"]}: the setting {key} is read by nothing in the service");
        }
    }

    /// <summary>Section name → properties, over every options type of the service that declares its <c>Section</c>.</summary>
    private static Dictionary<string, HashSet<string>> OptionSections()
    {
        var assemblies = new[] { typeof(ServiceOptions), typeof(JetStreamQueueOptions), typeof(ArchiveOptions), typeof(ViewingHistory.Store.Postgres.PostgresStoreOptions) }.Select(t => t.Assembly).Distinct();
        var sections = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
        {
            if (type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.GetRawConstantValue() is string section)
            {
                if (!sections.TryGetValue(section, out var properties))
                {
                    sections[section] = properties = new HashSet<string>(StringComparer.Ordinal);
                }

                properties.UnionWith(type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name));
            }
        }

        return sections;
    }
}
