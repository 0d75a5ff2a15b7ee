using System.CommandLine;

namespace ViewingHistory.Cli.Commands;

/// <summary><c>vh export --member M [--csv]</c>: the member's export (CONTRACT.md "Member data rights"), streamed to stdout.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var connection = new AdminConnection();
        var member = new Option<string>("--member") { Description = "The member to export.", Required = true };
        var csv = new Option<bool>("--csv") { Description = "The items as CSV instead of the whole export as JSON." };
        var command = connection.AddTo(new Command("export", "Print a member's viewing activity: items, sessions and hides (JSON), or the items as CSV.") { member, csv });
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var http = connection.CreateClient(parse);
            if (http is null)
            {
                return 2;
            }

            var path = $"/v1/members/{Uri.EscapeDataString(parse.GetValue(member)!)}/export?format={(parse.GetValue(csv) ? "csv" : "json")}";
            try
            {
                // Streamed through: a member with a long history is never held here whole either.
                using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    Console.Error.WriteLine($"GET {path}: {(int)response.StatusCode} {response.ReasonPhrase}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                    return 1;
                }

                await using var stdout = Console.OpenStandardOutput();
                await response.Content.CopyToAsync(stdout, cancellationToken);
                return 0;
            }
            catch (HttpRequestException ex)
            {
                Console.Error.WriteLine($"Could not reach {http.BaseAddress}: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
