using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using ViewingHistory.EndToEnd.Tests.Feeds;

namespace ViewingHistory.EndToEnd.Tests.Chaos;

/// <summary>
/// The end of a chaos run: the service's reads equal the contract's reducer over every event answered 202 and every
/// hide (nothing lost, nothing counted twice: <c>sessions</c> is compared too), the change feed folded from position 0
/// equals the reads for every member, and the dead-letter queue is empty.
/// </summary>
public static class ChaosVerifier
{
    /// <summary>How long the reads may stay unchanged, past the timeout, before the difference counts as a loss.</summary>
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(30);

    /// <param name="otherApis">More api nodes of the same deployment: each must show the very same reads.</param>
    public static async Task AssertAsync(HttpClient api, string serviceKey, ChaosWorkload workload, ChaosLog log, TimeSpan timeout, params HttpClient[] otherApis)
    {
        var expected = HistoryReducer.Compute(workload.Acknowledged, workload.Hides);
        var want = workload.Members.ToDictionary(m => m, m => expected.TryGetValue(m, out var items) ? items.Select(Render).ToList() : [], StringComparer.Ordinal);
        log.Write($"verifying: {want.Values.Sum(v => v.Count)} items expected over {want.Count} members from {workload.Summary()}");

        // What the faults left queued drains at the machine's pace: past the timeout the wait goes on while more items
        // come to agree (up to three times the timeout); a lost event never arrives, and the wait ends Stall after the
        // last progress.
        var started = DateTime.UtcNow;
        var lastProgress = started;
        var agreeing = -1;
        Dictionary<string, List<string>> got = [];
        string? lastError = null;
        while (true)
        {
            try
            {
                got = await ReadRenderedAsync(api, serviceKey, workload.Members);
                lastError = null;
                if (want.All(kv => got[kv.Key].SequenceEqual(kv.Value, StringComparer.Ordinal)))
                {
                    break;
                }

                var now = want.Sum(kv => kv.Value.Intersect(got[kv.Key], StringComparer.Ordinal).Count());
                if (now > agreeing)
                {
                    agreeing = now;
                    lastProgress = DateTime.UtcNow;
                }

                // A dead letter is a failure whatever follows, and what it holds will not show by itself: say so now.
                var (count, letters) = await DeadLettersAsync(api, serviceKey);
                if (count > 0)
                {
                    Assert.Fail($"The dead-letter queue holds {count} entries:\n{letters}\nand the reads differ from the contract's history of the events answered 202:\n{Diff(want, got)}");
                }
            }
            catch (HttpRequestException ex)
            {
                lastError = ex.Message;
            }

            var waited = DateTime.UtcNow - started;
            if ((waited > timeout && DateTime.UtcNow - lastProgress > Stall) || waited > timeout * 3)
            {
                Assert.Fail($"After {waited.TotalSeconds:0} s ({(DateTime.UtcNow - lastProgress).TotalSeconds:0} s since the last item came to agree) the reads still differ from the contract's history of the events answered 202" +
                    (lastError is null ? "" : $" (last read failed: {lastError})") + ":\n" + Diff(want, got));
            }

            await Task.Delay(500);
        }

        log.Write("reads equal the contract's history of every event answered 202");
        foreach (var other in otherApis)
        {
            var theirs = await WhileUnavailableAsync(() => ReadRenderedAsync(other, serviceKey, workload.Members));
            Assert.True(want.All(kv => theirs[kv.Key].SequenceEqual(kv.Value, StringComparer.Ordinal)), $"{other.BaseAddress} reads otherwise than {api.BaseAddress}:\n{Diff(want, theirs)}");
            log.Write($"{other.BaseAddress} reads the same");
        }


        // The feed may trail the reads by a moment; every change must be there once they agree.
        var reads = await WhileUnavailableAsync(() => FeedClient.ReadsAsync(api, serviceKey, workload.Members));
        Dictionary<string, string> folded = [];
        var feedDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var changes = await WhileUnavailableAsync(() => FeedClient.ReadAsync(api, serviceKey));
            folded = FeedClient.Visible(FeedClient.Fold(changes), workload.Members);
            if (folded.Count == reads.Count && folded.All(kv => reads.TryGetValue(kv.Key, out var r) && r == kv.Value))
            {
                log.Write($"the change feed folded from 0 ({changes.Count} changes) equals the reads of every member");
                break;
            }

            if (DateTime.UtcNow > feedDeadline)
            {
                var wrong = reads.Keys.Union(folded.Keys).Where(k => reads.GetValueOrDefault(k) != folded.GetValueOrDefault(k)).Order(StringComparer.Ordinal).Take(20)
                    .Select(k => $"  {k}: reads {reads.GetValueOrDefault(k) ?? "(none)"}, feed {folded.GetValueOrDefault(k) ?? "(none)"}");
                Assert.Fail("The change feed folded from 0 differs from the reads:\n" + string.Join('\n', wrong));
            }

            await Task.Delay(500);
        }

        var (held, listed) = await WhileUnavailableAsync(() => DeadLettersAsync(api, serviceKey));
        Assert.True(held == 0, $"The dead-letter queue holds {held} entries after the run:\n{listed}");
        log.Write("the dead-letter queue is empty");
    }

    /// <summary>
    /// Reads again while the api answers 503: after a fault a node may answer one 503 per pooled store connection the
    /// fault killed (CONTRACT.md lets a read answer 503 while the store cannot serve it), for a bounded time.
    /// </summary>
    private static async Task<T> WhileUnavailableAsync<T>(Func<Task<T>> read)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return await read();
            }
            catch (HttpRequestException ex) when (ex.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    private static async Task<(long Count, string Letters)> DeadLettersAsync(HttpClient api, string serviceKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/admin/dead-letters?limit=20");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", serviceKey);
        using var response = await api.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var dlq = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        var letters = dlq["deadLetters"]!.AsArray().Select(l => $"  {l!["id"]} ({l["eventCount"]} events, {l["failedAt"]}): {l["reason"]}");
        return ((long)dlq["count"]!, string.Join('\n', letters));
    }

    private static string Render(HistoryItem i) =>
        $"{i.TitleId}|{Timestamps.Format(i.LastWatchedAtMs)}|{i.PositionMs.ToString(CultureInfo.InvariantCulture)}|{i.DurationMs.ToString(CultureInfo.InvariantCulture)}|{i.Progress4.ToString(CultureInfo.InvariantCulture)}|{i.Completed}|sessions={i.Sessions.ToString(CultureInfo.InvariantCulture)}";

    private static async Task<Dictionary<string, List<string>>> ReadRenderedAsync(HttpClient api, string serviceKey, IEnumerable<string> members)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            var lines = new List<string>();
            string? cursor = null;
            do
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/members/{member}/history?limit=100" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", serviceKey);
                using var response = await api.SendAsync(request);
                response.EnsureSuccessStatusCode();
                var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
                foreach (var item in page["items"]!.AsArray().Select(i => i!.AsObject()))
                {
                    lines.Add($"{item["titleId"]}|{item["lastWatchedAt"]}|{item["positionMs"]}|{item["durationMs"]}|{((double)item["progress"]!).ToString(CultureInfo.InvariantCulture)}|{(bool)item["completed"]!}|sessions={item["sessions"]}");
                }

                cursor = (string?)page["nextCursor"];
            }
            while (cursor is not null);
            result[member] = lines;
        }

        return result;
    }

    /// <summary>Per member, the items that differ: what the reducer expects, what the service shows.</summary>
    private static string Diff(Dictionary<string, List<string>> want, Dictionary<string, List<string>> got)
    {
        var text = new StringBuilder();
        var shown = 0;
        foreach (var (member, items) in want)
        {
            var actual = got.GetValueOrDefault(member) ?? [];
            if (items.SequenceEqual(actual, StringComparer.Ordinal))
            {
                continue;
            }

            static string Title(string line) => line[..line.IndexOf('|', StringComparison.Ordinal)];
            var wantByTitle = items.ToDictionary(Title, StringComparer.Ordinal);
            var gotByTitle = actual.ToDictionary(Title, StringComparer.Ordinal);
            foreach (var title in wantByTitle.Keys.Union(gotByTitle.Keys).Order(StringComparer.Ordinal))
            {
                var w = wantByTitle.GetValueOrDefault(title);
                var g = gotByTitle.GetValueOrDefault(title);
                if (w != g && shown++ < 40)
                {
                    text.Append(CultureInfo.InvariantCulture, $"  {member}/{title}: expected {w ?? "(none)"}, got {g ?? "(none)"}\n");
                }
            }

            if (wantByTitle.Count == gotByTitle.Count && wantByTitle.All(kv => gotByTitle.GetValueOrDefault(kv.Key) == kv.Value) && shown++ < 40)
            {
                text.Append(CultureInfo.InvariantCulture, $"  {member}: same items in another order: {string.Join(", ", actual.Select(Title))}\n");
            }
        }

        return text.Append(CultureInfo.InvariantCulture, $"  ({shown} differences)").ToString();
    }
}
