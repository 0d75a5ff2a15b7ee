using System.CommandLine;

namespace ViewingHistory.Cli.Commands;

/// <summary><c>vh dlq purge --id ID | --all</c>: drops dead letters for good.</summary>
public static class DlqPurgeCommand
{
    public static Command Create()
    {
        var connection = new AdminConnection();
        var id = new Option<string?>("--id") { Description = "The dead letter to remove." };
        var all = new Option<bool>("--all") { Description = "Remove every dead letter." };
        var command = connection.AddTo(new Command("purge", "Remove dead letters without replaying them.") { id, all });
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (DlqCommand.ReadTarget(parse, id, all, "purge") is not { } target)
            {
                return 2;
            }

            using var http = connection.CreateClient(parse);
            if (http is null)
            {
                return 2;
            }

            var path = target.All ? DlqCommand.Path : $"{DlqCommand.Path}/{Uri.EscapeDataString(target.Id!)}";
            var body = await AdminConnection.SendAsync(http, HttpMethod.Delete, path, cancellationToken);
            if (body is null)
            {
                return 1;
            }

            Console.WriteLine($"purged {(int?)body["purged"] ?? 1}");
            return 0;
        });
        return command;
    }
}
