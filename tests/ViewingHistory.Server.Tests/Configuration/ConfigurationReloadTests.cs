using System.Text.Json.Nodes;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Configuration;

/// <summary>
/// Issue 12, item 3: a typo in the watched <c>ConfigFile</c> made every ingest answer 500 (and risked dead-lettering
/// applied batches). A reload with an invalid value, or with a change that needs a restart, is refused as a whole
/// (CONTRACT.md "Modes"): the last valid configuration stays in force, ingest and processing go on, and
/// <c>GET /v1/admin/status</c> shows the refusal until a valid reload replaces it.
/// </summary>
public sealed class ConfigurationReloadTests : IDisposable
{
    private static readonly TimeSpan ReloadDeadline = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _data = new("vh-reload");

    private string ConfigFile => Path.Combine(_data.Path, "pipeline.json");

    public static TheoryData<string, string, string[], string> BadFiles => new()
    {
        { "the issue's typo", """{"Pipeline":{"Mode":"asynch","AsyncPercent":150}}""", ["Pipeline:Mode"], "'asynch' is not one of async, sync, shadow" },
        { "the issue's typo, its percent", """{"Pipeline":{"Mode":"asynch","AsyncPercent":150}}""", ["Pipeline:AsyncPercent"], "between 0 and 100" },
        { "percent out of range", """{"Pipeline":{"Mode":"async","AsyncPercent":150}}""", ["Pipeline:AsyncPercent"], "between 0 and 100" },
        { "percent not a number", """{"Pipeline":{"Mode":"async","AsyncPercent":"half"}}""", ["Pipeline:AsyncPercent"], "'half' is not an integer" },
        { "malformed JSON", """{"Pipeline":{"Mode":"sync",""", [""], "not valid JSON" },
        { "entering shadow", """{"Pipeline":{"Mode":"shadow","AsyncPercent":50}}""", ["Pipeline:Mode"], "needs a restart" },
        { "another queue engine", """{"Pipeline":{"Mode":"sync","AsyncPercent":50},"Queue":{"Kind":"jetstream"}}""", ["Queue:Kind"], "needs a restart" },
        { "ingest limit out of range", """{"Pipeline":{"Mode":"sync"},"Ingest":{"MaxConcurrentRequests":0}}""", ["Ingest:MaxConcurrentRequests"], "between 1 and" },
    };

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(BadFiles))]
    public async Task A_bad_config_file_is_refused_while_ingest_and_processing_go_on_until_a_valid_reload(string what, string bad, string[] settings, string reason)
    {
        WriteConfig("""{"Pipeline":{"Mode":"async","AsyncPercent":50}}""");
        await using var server = InProcessHost.Start(_data.Path, new Dictionary<string, string?> { ["ConfigFile"] = ConfigFile, ["Archive:Enabled"] = "false" });
        var status = await StatusAsync(server);
        Assert.True((bool)status["configuration"]!["valid"]!, status.ToJsonString());

        WriteConfig(bad);
        status = await Eventually.UntilAsync(() => StatusAsync(server), s => !(bool)s["configuration"]!["valid"]!, ReloadDeadline, $"{what}: the reload to be refused");
        var configuration = status["configuration"]!;
        var errors = configuration["errors"]!.AsArray();
        foreach (var setting in settings)
        {
            Assert.Contains(errors, e => ((string?)e!["setting"] ?? string.Empty) == setting && ((string?)e["reason"])!.Contains(reason, StringComparison.Ordinal));
        }

        Assert.Equal(ConfigFile, (string?)configuration["file"]);
        Assert.False(string.IsNullOrEmpty((string?)configuration["refusedAt"]));

        // The last valid configuration stays in force, and both paths work: half the members go the sync path (visible at
        // the 202), the other half through the processors.
        Assert.Equal("async", (string?)status["mode"]);
        Assert.Equal(50, (int)status["asyncPercent"]!);
        await IngestAndReadAsync(server, what);

        // Still refused (a refusal stays until a valid reload), then a valid reload clears it and takes effect.
        Assert.False((bool)(await StatusAsync(server))["configuration"]!["valid"]!);
        WriteConfig("""{"Pipeline":{"Mode":"sync","AsyncPercent":100}}""");
        status = await Eventually.UntilAsync(
            () => StatusAsync(server), s => (bool)s["configuration"]!["valid"]! && (string?)s["mode"] == "sync", ReloadDeadline, $"{what}: the valid reload to apply");
        Assert.Empty(status["configuration"]!["errors"]!.AsArray());
        Assert.Null((string?)status["configuration"]!["refusedAt"]);

        // Sync mode now: the history shows each batch when its 202 arrives.
        var member = Ev.NewId("sync");
        await server.Contract.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "t1")));
        Assert.Single(await server.Contract.ReadAllAsync(member));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_Kubernetes_ConfigMap_volume_update_is_reloaded_though_no_file_event_names_the_file()
    {
        // The kubelet's layout: pipeline.json -> ..data/pipeline.json, ..data -> a timestamped directory. An update
        // writes a new directory and renames a new ..data link over the old one; the file's own name never changes.
        var volume = Directory.CreateDirectory(Path.Combine(_data.Path, "configmap")).FullName;
        WriteVersion(volume, "..2026_12_02_22_00_00.1", """{"Pipeline":{"Mode":"async","AsyncPercent":100}}""");
        File.CreateSymbolicLink(Path.Combine(volume, "..data"), "..2026_12_02_22_00_00.1");
        File.CreateSymbolicLink(Path.Combine(volume, "pipeline.json"), Path.Combine("..data", "pipeline.json"));
        await using var server = InProcessHost.Start(_data.Path, new Dictionary<string, string?> { ["ConfigFile"] = Path.Combine(volume, "pipeline.json"), ["Archive:Enabled"] = "false" });
        Assert.Equal(100, (int)(await StatusAsync(server))["asyncPercent"]!);

        foreach (var (version, percent) in new[] { ("..2026_12_02_22_01_00.2", 40), ("..2026_12_02_22_02_00.3", 0) })
        {
            WriteVersion(volume, version, $$"""{"Pipeline":{"Mode":"async","AsyncPercent":{{percent}}} }""");
            var swap = Path.Combine(volume, "..data_tmp");
            File.CreateSymbolicLink(swap, version);
            PosixFiles.RenameOver(swap, Path.Combine(volume, "..data"));
            var status = await Eventually.UntilAsync(
                () => StatusAsync(server), s => (int)s["asyncPercent"]! == percent, ReloadDeadline, $"the ConfigMap's {percent} % to apply");
            Assert.True((bool)status["configuration"]!["valid"]!, status.ToJsonString());
        }

        await IngestAndReadAsync(server, "after the ConfigMap updates");
    }

    public void Dispose() => _data.Dispose();

    private static void WriteVersion(string volume, string version, string json)
    {
        Directory.CreateDirectory(Path.Combine(volume, version));
        File.WriteAllText(Path.Combine(volume, version, "pipeline.json"), json);
    }

    private static async Task IngestAndReadAsync(InProcessHost server, string what)
    {
        var members = Enumerable.Range(0, 10).Select(i => Ev.NewId($"m{i}")).ToList();
        for (var round = 0; round < 3; round++)
        {
            await server.Contract.PostAcceptedAsync(Ev.Batch(members.Select(m => Ev.Make(m, $"t{round}", seq: round))));
        }

        foreach (var member in members)
        {
            await server.Contract.ReadUntilAsync(member, items => items.Count == 3, $"{what}: every title of {member}");
        }
    }

    private static Task<JsonObject> StatusAsync(InProcessHost server) => server.Contract.GetJsonAsync("/v1/admin/status");

    /// <summary>Replaces the file in one rename, as a careful operator (or a config management tool) does.</summary>
    private void WriteConfig(string json)
    {
        var temp = ConfigFile + ".tmp";
        File.WriteAllText(temp, json);
        File.Move(temp, ConfigFile, overwrite: true);
    }
}
