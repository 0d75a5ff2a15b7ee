using System.CommandLine;
using System.Text.Json.Nodes;

namespace ViewingHistory.Cli.Commands;

/// <summary><c>vh dlq list</c>: the oldest dead letters with their reasons.</summary>
internal static class DlqListCommand
{
    public static Command Create()
    {
        var connection = new AdminConnection();
        var limit = new Option<int>("--limit") { Description = "How many to show (1-1000).", DefaultValueFactory = _ => 100 };
        var json = new Option<bool>("--json") { Description = "Print the server's JSON answer as it is." };
        var command = connection.AddTo(new Command("list", "List dead letters, oldest first.") { limit, json });
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var http = connection.CreateClient(parse);
            if (http is null)
            {
                return 2;
            }

            var body = await AdminConnection.SendAsync(http, HttpMethod.Get, $"{DlqCommand.Path}?limit={parse.GetValue(limit)}", cancellationToken);
            if (body is null)
            {
                return 1;
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(body.ToJsonString());
                return 0;
            }

            var letters = body["deadLetters"]?.AsArray() ?? [];
            Console.WriteLine($"{(long?)body["count"] ?? letters.Count} dead letter(s)");
            foreach (var letter in letters.OfType<JsonObject>())
            {
                Console.WriteLine($"{(string?)letter["id"]}\t{(string?)letter["failedAt"]}\t{(int?)letter["eventCount"]} event(s)\t{(string?)letter["reason"]}");
            }

            return 0;
        });
        return command;
    }
}
