using System.Text.Json.Nodes;
using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests;

/// <summary>Proves that every acknowledged event is reflected in the history, and that nothing is counted twice or invented.</summary>
public static class HistoryVerifier
{
    public static async Task AssertEveryAcknowledgedEventIsReflectedAsync(HttpClient http, string serviceKey, LoadDriver driver, TimeSpan timeout)
    {
        // The backlog left by the load drains at the machine's pace: waiting goes on past the timeout while events keep arriving.
        var items = await Eventually.WhileProgressingAsync(
            () => ReadAllAsync(http, serviceKey, driver.MembersUsed),
            read => driver.Acknowledged.Keys.All(read.ContainsKey),
            read => driver.Acknowledged.Keys.Count(read.ContainsKey),
            timeout,
            TimeSpan.FromSeconds(20),
            $"all {driver.Acknowledged.Count} acknowledged events to show");

        foreach (var (key, e) in driver.Acknowledged)
        {
            var item = items[key];
            Assert.Equal((long)e["positionMs"]!, (long)item["positionMs"]!);
            Assert.Equal(1, (int)item["sessions"]!);
        }

        foreach (var (key, item) in items)
        {
            Assert.True(driver.Sent.ContainsKey(key), $"{key} is in the history but was never sent");
            Assert.Equal(1, (int)item["sessions"]!);
        }
    }

    public static async Task<Dictionary<string, JsonObject>> ReadAllAsync(HttpClient http, string serviceKey, IEnumerable<string> members)
    {
        var all = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            string? cursor = null;
            do
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/members/{member}/history?limit=100" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + serviceKey);
                using var response = await http.SendAsync(request);
                response.EnsureSuccessStatusCode();
                var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
                foreach (var item in page["items"]!.AsArray())
                {
                    all[$"{member}/{(string)item!["titleId"]!}"] = item.AsObject();
                }

                cursor = (string?)page["nextCursor"];
            }
            while (cursor is not null);
        }

        return all;
    }
}
