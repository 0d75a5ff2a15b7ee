using System.CommandLine;

namespace ViewingHistory.Cli.Commands;

/// <summary><c>vh dlq replay --id ID | --all</c>: appends dead letters to the queue again (after their cause is fixed).</summary>
public static class DlqReplayCommand
{
    public static Command Create()
    {
        var connection = new AdminConnection();
        var id = new Option<string?>("--id") { Description = "The dead letter to replay." };
        var all = new Option<bool>("--all") { Description = "Replay every dead letter." };
        var command = connection.AddTo(new Command("replay", "Append dead letters to the queue again; processors apply them like any batch.") { id, all });
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (DlqCommand.ReadTarget(parse, id, all, "replay") is not { } target)
            {
                return 2;
            }

            using var http = connection.CreateClient(parse);
            if (http is null)
            {
                return 2;
            }

            var path = target.All ? $"{DlqCommand.Path}/replay" : $"{DlqCommand.Path}/{Uri.EscapeDataString(target.Id!)}/replay";
            var body = await AdminConnection.SendAsync(http, HttpMethod.Post, path, cancellationToken);
            if (body is null)
            {
                return 1;
            }

            Console.WriteLine($"replayed {(int?)body["replayed"] ?? 0}");
            return 0;
        });
        return command;
    }
}
