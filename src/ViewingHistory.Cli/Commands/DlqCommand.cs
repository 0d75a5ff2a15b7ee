using System.CommandLine;

namespace ViewingHistory.Cli.Commands;

/// <summary><c>vh dlq list|replay|purge</c>: the dead-letter queue of a running server, through its admin API.</summary>
internal static class DlqCommand
{
    public const string Path = "/v1/admin/dead-letters";

    public static Command Create() => new("dlq", "List, replay or purge the dead-letter queue of a running server.")
    {
        DlqListCommand.Create(),
        DlqReplayCommand.Create(),
        DlqPurgeCommand.Create(),
    };

    /// <summary>
    /// A command that acts on one dead letter (<c>--id ID</c>) or on all (<c>--all</c>): exactly one of them, since
    /// guessing which an operator meant could replay or drop what they wanted kept.
    /// </summary>
    internal static Command Targeted(string name, string description, HttpMethod method, Func<string?, string> path, string countField)
    {
        var connection = new AdminConnection();
        var id = new Option<string?>("--id") { Description = "One dead letter, as 'vh dlq list' shows it." };
        var all = new Option<bool>("--all") { Description = "Every dead letter." };
        var command = connection.AddTo(new Command(name, description) { id, all });
        command.SetAction(async (parse, cancellationToken) =>
        {
            var one = parse.GetValue(id);
            if ((one is null) == !parse.GetValue(all))
            {
                Console.Error.WriteLine($"Say what to {name}: --id ID (one dead letter, as 'vh dlq list' shows it) or --all.");
                return 2;
            }

            using var http = connection.CreateClient(parse);
            if (http is null)
            {
                return 2;
            }

            var body = await AdminConnection.SendAsync(http, method, path(one is null ? null : Uri.EscapeDataString(one)), cancellationToken);
            if (body is null)
            {
                return 1;
            }

            // A removal of one letter answers 204 with no body: one was removed.
            Console.WriteLine($"{countField} {(int?)body[countField] ?? 1}");
            return 0;
        });
        return command;
    }
}
