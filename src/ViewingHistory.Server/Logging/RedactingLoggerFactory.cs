namespace ViewingHistory.Server.Logging;

/// <summary>
/// The process's <see cref="ILoggerFactory"/>: the framework's, with every logger wrapped in a
/// <see cref="RedactingLogger"/>. Wrapping the factory rather than one provider covers every provider (console, JSON,
/// OpenTelemetry, a test's own) and every library handed this factory (NATS.Net logs its connection URLs).
/// </summary>
internal sealed class RedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}
