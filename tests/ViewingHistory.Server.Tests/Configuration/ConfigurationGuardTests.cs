using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using ViewingHistory.Pipeline;
using ViewingHistory.Server.Configuration;

namespace ViewingHistory.Server.Tests.Configuration;

/// <summary>
/// A file watcher reports one write of the watched file as several changes: the guard evaluates each, but the same
/// refusal is logged once, and a new refusal (or one after a valid reload) is logged again.
/// </summary>
public sealed class ConfigurationGuardTests
{
    [Fact]
    public async Task The_same_refusal_reported_twice_is_logged_once_and_a_different_one_again()
    {
        var settings = new Dictionary<string, string?> { ["Pipeline:Mode"] = "async" };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var initial = ReloadableConfiguration.Check(configuration, running: null);
        var logger = new CapturingLogger();
        using var guard = new ConfigurationGuard(
            configuration, new OptionsInForce<PipelineOptions>(initial.Pipeline!), new OptionsInForce<IngestOptions>(initial.Ingest!), TimeProvider.System, logger);
        await guard.StartAsync(CancellationToken.None);

        configuration["Pipeline:Mode"] = "asynch";
        configuration.Reload();
        configuration.Reload();
        Assert.False(guard.Status.Valid);
        Assert.Single(logger.Errors);

        configuration["Pipeline:AsyncPercent"] = "150";
        configuration.Reload();
        Assert.Equal(2, logger.Errors.Count);

        configuration["Pipeline:Mode"] = "async";
        configuration["Pipeline:AsyncPercent"] = "100";
        configuration.Reload();
        Assert.True(guard.Status.Valid);
        configuration["Pipeline:Mode"] = "asynch";
        configuration["Pipeline:AsyncPercent"] = null;
        configuration.Reload();
        Assert.Equal(3, logger.Errors.Count);
        Assert.All(logger.Errors, e => Assert.Contains("Pipeline:Mode", e, StringComparison.Ordinal));
        await guard.StopAsync(CancellationToken.None);
    }

    private sealed class CapturingLogger : ILogger<ConfigurationGuard>
    {
        public List<string> Errors { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error)
            {
                Errors.Add(formatter(state, exception));
            }
        }
    }
}
