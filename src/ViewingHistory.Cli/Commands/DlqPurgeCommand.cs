using System.CommandLine;

namespace ViewingHistory.Cli.Commands;

/// <summary><c>vh dlq purge --id ID | --all</c>: drops dead letters for good.</summary>
internal static class DlqPurgeCommand
{
    public static Command Create() => DlqCommand.Targeted(
        "purge",
        "Remove dead letters without replaying them.",
        HttpMethod.Delete,
        id => id is null ? DlqCommand.Path : $"{DlqCommand.Path}/{id}",
        "purged");
}
