using System.CommandLine;

namespace ViewingHistory.Cli.Commands;

/// <summary><c>vh dlq replay --id ID | --all</c>: appends dead letters to the queue again (after their cause is fixed).</summary>
internal static class DlqReplayCommand
{
    public static Command Create() => DlqCommand.Targeted(
        "replay",
        "Append dead letters to the queue again; processors apply them like any batch.",
        HttpMethod.Post,
        id => id is null ? $"{DlqCommand.Path}/replay" : $"{DlqCommand.Path}/{id}/replay",
        "replayed");
}
