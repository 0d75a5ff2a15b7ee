using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests.Feeds;

/// <summary>Reads the change feed as a downstream consumer does, and runs <c>vh feed tail</c>.</summary>
public static class FeedClient
{
    /// <summary>Every change after <paramref name="after"/> up to the end of the feed, checking that positions only grow.</summary>
    public static async Task<List<JsonObject>> ReadAsync(HttpClient http, string serviceKey, long after = 0, int limit = 1000)
    {
        var all = new List<JsonObject>();
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/changes?after={after.ToString(CultureInfo.InvariantCulture)}&limit={limit.ToString(CultureInfo.InvariantCulture)}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", serviceKey);
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            var changes = page["changes"]!.AsArray().Select(c => c!.AsObject()).ToList();
            foreach (var change in changes)
            {
                Assert.True(Position(change) > after, $"position {Position(change)} is not after {after}");
                after = Position(change);
                all.Add(change);
            }

            Assert.Equal(after, (long)page["next"]!);
            if (changes.Count == 0)
            {
                return all;
            }
        }
    }

    public static long Position(JsonObject change) => (long)change["position"]!;

    /// <summary>The feed folded by (member, title): the last change wins; a hidden item folds to null.</summary>
    public static Dictionary<string, string?> Fold(IEnumerable<JsonObject> changes)
    {
        var fold = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var change in changes)
        {
            fold[$"{(string)change["memberId"]!}/{(string)change["titleId"]!}"] = change["item"]?.ToJsonString();
        }

        return fold;
    }

    /// <summary>The visible items of a fold, as the reads should show them.</summary>
    public static Dictionary<string, string> Visible(Dictionary<string, string?> fold, IEnumerable<string> members)
    {
        var wanted = members.ToHashSet(StringComparer.Ordinal);
        return fold.Where(kv => kv.Value is not null && wanted.Contains(kv.Key[..kv.Key.IndexOf('/', StringComparison.Ordinal)]))
            .ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal);
    }

    public static async Task<Dictionary<string, string>> ReadsAsync(HttpClient http, string serviceKey, IEnumerable<string> members) =>
        (await HistoryVerifier.ReadAllAsync(http, serviceKey, members)).ToDictionary(kv => kv.Key, kv => kv.Value.ToJsonString(), StringComparer.Ordinal);

    /// <summary>Starts <c>vh feed tail</c> (the real CLI binary) with <paramref name="arguments"/> after the subcommand.</summary>
    public static Process StartTail(Uri server, string serviceKey, params string[] arguments)
    {
        var vh = ServerProcess.ServerDll()
            .Replace($"{Path.DirectorySeparatorChar}ViewingHistory.Server{Path.DirectorySeparatorChar}", $"{Path.DirectorySeparatorChar}ViewingHistory.Cli{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            .Replace("ViewingHistory.Server.dll", "vh.dll", StringComparison.Ordinal);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var a in new[] { vh, "feed", "tail", "--url", server.ToString(), "--key", serviceKey }.Concat(arguments))
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("Could not start vh.");
    }

    /// <summary>Runs <c>vh feed tail</c> to the end of the feed and returns the changes it printed.</summary>
    public static async Task<List<JsonObject>> TailToEndAsync(Uri server, string serviceKey, params string[] arguments)
    {
        using var vh = StartTail(server, serviceKey, arguments);
        var stdout = vh.StandardOutput.ReadToEndAsync();
        var stderr = vh.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await vh.WaitForExitAsync(deadline.Token);
        Assert.True(vh.ExitCode == 0, $"vh feed tail exited with {vh.ExitCode}: {await stderr}");
        return (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
    }
}
