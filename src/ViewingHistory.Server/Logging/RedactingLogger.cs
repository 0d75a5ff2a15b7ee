using ViewingHistory.Core.Diagnostics;

namespace ViewingHistory.Server.Logging;

/// <summary>
/// Masks secrets (<see cref="Redaction.Secrets"/>: URL passwords, <c>Password=</c>) in the message, the structured
/// values and the exception of every entry before the providers see it. Engine exceptions carry the URL or the
/// connection string they were given, so redacting our own messages is not enough.
/// </summary>
internal sealed class RedactingLogger(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        var redacted = new RedactedLogState(Redaction.Secrets(formatter(state, exception)), state as IEnumerable<KeyValuePair<string, object?>>);
        inner.Log(logLevel, eventId, redacted, exception is null ? null : new RedactedException(exception), static (s, _) => s.Message);
    }
}
