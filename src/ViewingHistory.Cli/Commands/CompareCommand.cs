using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ViewingHistory.Cli.Commands;

/// <summary>
/// <c>vh compare</c>: asks a server in shadow mode to compare members between its sync store and its shadow store,
/// prints every mismatch item by item, and exits 1 when there is any (0 when clean).
/// </summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var connection = new ServerConnection();
        var members = new Option<string[]>("--member") { Description = "A member to compare (repeatable).", AllowMultipleArgumentsPerToken = true };
        var all = new Option<bool>("--all") { Description = "Compare every member that has history in either store." };
        var settle = new Option<int>("--settle") { Description = "Seconds to let the shadow path catch up before a difference counts.", DefaultValueFactory = _ => 10 };
        var command = new Command("compare", "Compare the sync store and the shadow store (shadow mode).") { members, all, settle };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var list = parse.GetValue(members) ?? [];
            if (parse.GetValue(all) == (list.Length > 0))
            {
                Console.Error.WriteLine("Give --member (one or more) or --all.");
                return 2;
            }

            using var client = connection.CreateClient(parse, TimeSpan.FromMinutes(30));
            if (client is null)
            {
                return 2;
            }

            using var response = await client.PostAsJsonAsync(
                "/v1/admin/shadow/compare",
                new { members = list, all = parse.GetValue(all), settleSeconds = parse.GetValue(settle) },
                cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"{(int)response.StatusCode}: {body}");
                return 2;
            }

            var report = JsonNode.Parse(body)!.AsObject();
            foreach (var mismatch in report["mismatches"]!.AsArray())
            {
                Console.WriteLine($"MISMATCH {mismatch!["memberId"]}/{mismatch["titleId"]}: sync={Show(mismatch["sync"])} shadow={Show(mismatch["shadow"])}");
            }

            var mismatched = (int)report["mismatched"]!;
            Console.WriteLine($"compared {report["membersCompared"]} members, {report["itemsCompared"]} items: {(mismatched == 0 ? "clean" : $"{mismatched} mismatched")}");
            return mismatched == 0 ? 0 : 1;
        });
        return command;
    }

    private static string Show(JsonNode? item) => item is null ? "absent" : item.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
