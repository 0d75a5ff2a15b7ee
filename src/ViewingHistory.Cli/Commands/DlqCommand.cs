using System.CommandLine;

namespace ViewingHistory.Cli.Commands;

/// <summary><c>vh dlq list|replay|purge</c>: the dead-letter queue of a running server, through its admin API.</summary>
public static class DlqCommand
{
    public const string Path = "/v1/admin/dead-letters";

    public static Command Create() => new("dlq", "List, replay or purge the dead-letter queue of a running server.")
    {
        DlqListCommand.Create(),
        DlqReplayCommand.Create(),
        DlqPurgeCommand.Create(),
    };

    /// <summary>Reads <c>--id ID | --all</c>: exactly one of them; null (after saying why) otherwise.</summary>
    internal static (string? Id, bool All)? ReadTarget(ParseResult parse, Option<string?> id, Option<bool> all, string verb)
    {
        var one = parse.GetValue(id);
        var every = parse.GetValue(all);
        if ((one is null) == !every)
        {
            Console.Error.WriteLine($"Say what to {verb}: --id ID (one dead letter, as 'vh dlq list' shows it) or --all.");
            return null;
        }

        return (one, every);
    }
}
