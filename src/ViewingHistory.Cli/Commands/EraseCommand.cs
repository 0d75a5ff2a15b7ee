using System.CommandLine;

namespace ViewingHistory.Cli.Commands;

/// <summary>
/// <c>vh erase --member M [--wait]</c>: erases a member (service key) and prints T and E; with <c>--wait</c>, polls the
/// erasure until <c>completedAt</c> is set (exit 0) or the wait runs out (exit 1, with what is still pending).
/// </summary>
internal static class EraseCommand
{
    public static Command Create()
    {
        var connection = new AdminConnection();
        var member = new Option<string>("--member") { Description = "The member to erase.", Required = true };
        var wait = new Option<bool>("--wait") { Description = "Wait until the erasure has completed everywhere." };
        var waitFor = new Option<TimeSpan>("--wait-timeout") { Description = "How long --wait waits.", DefaultValueFactory = _ => TimeSpan.FromHours(2) };
        var command = connection.AddTo(new Command("erase", "Erase a member's data everywhere the service keeps it.") { member, wait, waitFor });
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var http = connection.CreateClient(parse);
            if (http is null)
            {
                return 2;
            }

            var path = $"/v1/members/{Uri.EscapeDataString(parse.GetValue(member)!)}";
            var accepted = await AdminConnection.SendAsync(http, HttpMethod.Delete, path, cancellationToken);
            if (accepted is null)
            {
                return 1;
            }

            Console.WriteLine($"requestedAt {(string?)accepted["requestedAt"]}, erasedThrough {(string?)accepted["erasedThrough"]}");
            if (!parse.GetValue(wait))
            {
                return 0;
            }

            var deadline = DateTimeOffset.UtcNow + parse.GetValue(waitFor);
            while (true)
            {
                var status = await AdminConnection.SendAsync(http, HttpMethod.Get, path + "/erasure", cancellationToken);
                if (status?["completedAt"] is { } completed)
                {
                    Console.WriteLine($"completedAt {(string?)completed}");
                    return 0;
                }

                if (DateTimeOffset.UtcNow >= deadline)
                {
                    Console.Error.WriteLine($"Not complete yet; pending: {status?["pending"]?.ToJsonString() ?? "unknown"}");
                    return 1;
                }

                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        });
        return command;
    }
}
