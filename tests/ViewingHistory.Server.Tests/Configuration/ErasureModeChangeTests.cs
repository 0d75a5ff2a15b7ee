using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using NATS.Client.JetStream;
using ViewingHistory.Pipeline;
using ViewingHistory.Pipeline.Archive;
using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Store.Sqlite;
using ViewingHistory.Testing;
using ViewingHistory.Testing.Nats;

namespace ViewingHistory.Server.Tests.Configuration;

/// <summary>
/// Issue 15, the bug: a deployment that stops running an erasure part (the shadow store after shadow mode, an archive
/// root turned off, the relay's stream) left it registered, and no erasure completed any more. Now each leftover is
/// cleaned while it is there and retired once it is gone (ErasurePartRetirement); each test leaves a mode and checks
/// that erasures pending at the change and requested after it complete, and that the leftover holds nothing of them.
/// </summary>
public sealed class ErasureModeChangeTests : IDisposable
{
    private static readonly TimeSpan CompletionDeadline = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _data = new("vh-erasure-modes");

    private static Dictionary<string, string?> Settings(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Archive:Enabled"] = "false",
            ["Erasure:PurgeInterval"] = "00:00:00.200",
            ["Erasure:ArchiveWithin"] = "00:00:02",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact(Timeout = 120_000)]
    public async Task After_leaving_shadow_mode_erasures_complete_and_the_abandoned_shadow_store_is_erased_until_deleted()
    {
        var (pendingAtExit, later, afterDelete) = (Ev.NewId("sh-a"), Ev.NewId("sh-b"), Ev.NewId("sh-c"));
        await using (var shadow = await StartAsync(Settings(("Pipeline:Mode", "shadow"), ("Erasure:PurgeInterval", "01:00:00"))))
        {
            await shadow.Contract.PostAcceptedAsync(Ev.Batch(Ev.Make(pendingAtExit, "t1"), Ev.Make(later, "t1"), Ev.Make(afterDelete, "t1")));
            var shadowStore = shadow.Services.GetRequiredService<StoreSet>().Shadow!;
            await Eventually.UntilAsync(
                async () => (await shadowStore.ReadPageAsync(afterDelete, 10, null, CancellationToken.None)).Items.Count,
                n => n == 1,
                TimeSpan.FromSeconds(30),
                "the shadow store to hold the events");

            // The purge interval is an hour: the erasure is still pending for the shadow part when shadow mode ends.
            await EraseAsync(shadow, pendingAtExit);
            Assert.Contains("shadow", await PendingAsync(shadow, pendingAtExit));
        }

        await using (var async = await StartAsync(Settings(("Pipeline:Mode", "async"))))
        {
            await CompletedAsync(async, pendingAtExit);
            await EraseAsync(async, later);
            await CompletedAsync(async, later);
        }

        await using (var left = new SqliteHistoryStore(Path.Combine(_data.Path, "history-shadow.db")))
        {
            await left.InitializeAsync(CancellationToken.None);
            Assert.Empty((await left.ReadPageAsync(pendingAtExit, 10, null, CancellationToken.None)).Items);
            Assert.Empty((await left.ReadPageAsync(later, 10, null, CancellationToken.None)).Items);
            Assert.Single((await left.ReadPageAsync(afterDelete, 10, null, CancellationToken.None)).Items);
        }

        // The operator deletes the abandoned store (docs/MIGRATION.md): the part is retired.
        foreach (var file in Directory.EnumerateFiles(_data.Path, "history-shadow.db*"))
        {
            File.Delete(file);
        }

        await using var deleted = await StartAsync(Settings(("Pipeline:Mode", "async")));
        await EraseAsync(deleted, afterDelete);
        await CompletedAsync(deleted, afterDelete);
        Assert.DoesNotContain("shadow", await PartsAsync(deleted));
        Assert.False(File.Exists(Path.Combine(_data.Path, "history-shadow.db")));
    }

    [Fact(Timeout = 120_000)]
    public async Task With_the_archive_turned_off_erasures_complete_and_its_root_is_rewritten_until_deleted()
    {
        var (erased, kept) = (Ev.NewId("ar-a"), Ev.NewId("ar-b"));
        var root = Path.Combine(_data.Path, "archive");
        await using (var archiving = await StartAsync(Settings(("Archive:Enabled", "true"), ("Archive:FlushInterval", "00:00:00.200"))))
        {
            await archiving.Contract.PostAcceptedAsync(Ev.Batch(Ev.Make(erased, "t1"), Ev.Make(erased, "t2"), Ev.Make(kept, "t1")));
            await Eventually.UntilAsync(() => ArchivedMembersAsync(root), m => m.Contains(erased) && m.Contains(kept), TimeSpan.FromSeconds(30), "both members in the archive");
            Assert.Contains(await PartsAsync(archiving), p => p.StartsWith("archive:", StringComparison.Ordinal));
        }

        await using (var off = await StartAsync(Settings(("Archive:Enabled", "false"))))
        {
            await EraseAsync(off, erased);
            await CompletedAsync(off, erased);
            var members = await ArchivedMembersAsync(root);
            Assert.DoesNotContain(erased, members);
            Assert.Contains(kept, members);
        }

        Directory.Delete(root, recursive: true);
        await using var gone = await StartAsync(Settings(("Archive:Enabled", "false")));
        await EraseAsync(gone, kept);
        await CompletedAsync(gone, kept);
        Assert.DoesNotContain(await PartsAsync(gone), p => p.StartsWith("archive:", StringComparison.Ordinal));
    }

    [Fact(Timeout = 120_000)]
    public async Task With_the_relay_turned_off_or_no_change_stream_erasures_complete_and_the_stream_is_purged_while_reachable()
    {
        await using var nats = await NatsServer.StartNewAsync();
        var stream = DistributedEngines.NewStreamName();
        var jetStream = DistributedEngines.StreamSettings(stream).Select(kv => (kv.Key, (string?)kv.Value))
            .Append(("Queue:Kind", "jetstream")).Append(("Queue:Url", nats.Url)).Append(("Feed:RelayPollInterval", "00:00:00.050")).ToArray();
        var (erased, later) = (Ev.NewId("re-a"), Ev.NewId("re-b"));
        await using var client = new NatsConnection(new NatsOpts { Url = nats.Url });
        var js = new NatsJSContext(client);
        var relayStream = stream + "_CHANGES";
        await using (var relaying = await StartAsync(Settings(jetStream)))
        {
            await relaying.Contract.PostAcceptedAsync(Ev.Batch(Ev.Make(erased, "t1"), Ev.Make(later, "t1")));
            await Eventually.UntilAsync(async () => (await js.GetStreamAsync(relayStream)).Info.State.Messages, n => n >= 2, TimeSpan.FromSeconds(30), "the relay to publish both changes");
            Assert.Contains("relay", await PartsAsync(relaying));
        }

        await using (var off = await StartAsync(Settings([.. jetStream, ("Feed:RelayEnabled", "false")])))
        {
            await EraseAsync(off, erased);
            await CompletedAsync(off, erased);
            Assert.Equal(0UL, await MessagesOnAsync(js, relayStream, erased));
            Assert.Equal(1UL, await MessagesOnAsync(js, relayStream, later));
            Assert.Contains("relay", await PartsAsync(off));
        }

        // The embedded queue has no change stream: the old one cannot be reached, and expires by Store:ChangeRetention.
        await using var embedded = await StartAsync(Settings());
        await EraseAsync(embedded, later);
        await CompletedAsync(embedded, later);
        Assert.DoesNotContain("relay", await PartsAsync(embedded));
    }

    public void Dispose() => _data.Dispose();

    private Task<InProcessHost> StartAsync(Dictionary<string, string?> settings) => Task.FromResult(InProcessHost.Start(_data.Path, settings));

    private static async Task EraseAsync(InProcessHost host, string member)
    {
        using var response = await host.Contract.SendAsync(HttpMethod.Delete, $"/v1/members/{member}", TestCredentials.ServiceKey);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private static async Task<List<string>> PendingAsync(InProcessHost host, string member)
    {
        var status = await host.Contract.GetJsonAsync($"/v1/members/{member}/erasure");
        return status["pending"]!.AsArray().Select(p => (string)p!).ToList();
    }

    private static async Task CompletedAsync(InProcessHost host, string member)
    {
        JsonObject? last = null;
        try
        {
            await Eventually.UntilAsync(
                async () => last = await host.Contract.GetJsonAsync($"/v1/members/{member}/erasure"),
                s => s["completedAt"] is not null,
                CompletionDeadline,
                $"the erasure of {member} to complete");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; last status {last?.ToJsonString()}", ex);
        }
    }

    private static Task<IReadOnlyList<string>> PartsAsync(InProcessHost host) =>
        host.Services.GetRequiredService<StoreSet>().Primary.ReadErasurePartsAsync(CancellationToken.None);

    private static async Task<HashSet<string>> ArchivedMembersAsync(string root)
    {
        var members = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in ArchiveFiles.HourDirectories(root).SelectMany(h => Directory.EnumerateFiles(h, "*" + ArchiveFiles.Extension)))
        {
            members.UnionWith((await ArchiveFiles.ReadAsync(file, CancellationToken.None)).Select(r => r.MemberId));
        }

        return members;
    }

    private static async Task<ulong> MessagesOnAsync(NatsJSContext js, string stream, string member)
    {
        var info = await js.GetStreamAsync(stream, new NATS.Client.JetStream.Models.StreamInfoRequest { SubjectsFilter = $"{stream}.{member}" });
        return info.Info.State.Subjects is { } subjects && subjects.TryGetValue($"{stream}.{member}", out var count) ? (ulong)count : 0;
    }
}
