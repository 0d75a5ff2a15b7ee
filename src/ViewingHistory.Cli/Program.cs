using System.CommandLine;
using ViewingHistory.Cli.Commands;

var root = new RootCommand("vh: the ViewingHistory command-line tool (talks to a running server over HTTP).");
root.Subcommands.Add(TokenCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
root.Subcommands.Add(SimulateCommand.Create());
root.Subcommands.Add(DlqCommand.Create());
root.Subcommands.Add(FeedCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(EraseCommand.Create());

return await root.Parse(args).InvokeAsync();
