using Microsoft.Extensions.Options;

namespace ViewingHistory.Server.Hosting;

/// <summary>What an operator reads when the configuration stops the start.</summary>
internal static class StartFailure
{
    /// <summary>The messages of <paramref name="exception"/> and of the exceptions inside it, outermost first, each once.</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            var message = e is OptionsValidationException options ? string.Join("; ", options.Failures) : e.Message;
            if (!messages.Exists(m => m.Contains(message, StringComparison.Ordinal)))
            {
                messages.Add(message);
            }
        }

        return string.Join(" <- ", messages);
    }
}
