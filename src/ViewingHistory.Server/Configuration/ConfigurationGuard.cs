using Microsoft.Extensions.Primitives;
using ViewingHistory.Core.Events;
using ViewingHistory.Pipeline;
using ViewingHistory.Server.Json;

namespace ViewingHistory.Server.Configuration;

/// <summary>
/// Watches configuration reloads (the watched <c>ConfigFile</c>, <c>appsettings.json</c>) and applies CONTRACT.md
/// "Modes": a reload is validated as a whole (<see cref="ReloadableConfiguration"/>); a valid one replaces the options in
/// force; an invalid one is refused, logged and shown in <c>GET /v1/admin/status</c> (<see cref="Status"/>), and the last
/// valid configuration stays in force, so ingest and processing go on unchanged.
/// </summary>
internal sealed partial class ConfigurationGuard(
    IConfiguration configuration,
    OptionsInForce<PipelineOptions> pipeline,
    OptionsInForce<IngestOptions> ingest,
    TimeProvider time,
    ILogger<ConfigurationGuard> logger) : IHostedService, IDisposable
{
    private readonly Lock _gate = new();
    private ConfigurationStatusDto _status = Valid(time.GetUtcNow());
    private IDisposable? _subscription;
    private RestartSettings? _running;
    private string? _lastRefusal;

    /// <summary>The state of the latest reload.</summary>
    public ConfigurationStatusDto Status => Volatile.Read(ref _status);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Captured from the configuration as the host finally built it (a host may add sources after the wiring ran).
        _running = RestartSettings.Capture(configuration, pipeline.Current);
        _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Evaluate);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => Interlocked.Exchange(ref _subscription, null)?.Dispose();

    /// <summary>Runs on the file watcher's thread: it must never throw, or the framework would lose the next reloads.</summary>
    private void Evaluate()
    {
        lock (_gate)
        {
            ConfigurationCheck check;
            try
            {
                check = ReloadableConfiguration.Check(configuration, _running);
            }
            catch (Exception ex)
            {
                check = new ConfigurationCheck(null, null, [new ConfigurationError(null, "could not be checked: " + ex.Message, null)]);
            }

            var now = time.GetUtcNow();
            if (check.Valid)
            {
                var changed = check.Pipeline != pipeline.Current || check.Ingest != ingest.Current || !_status.Valid;
                pipeline.Replace(check.Pipeline!);
                ingest.Replace(check.Ingest!);
                _lastRefusal = null;
                if (changed)
                {
                    Volatile.Write(ref _status, Valid(now));
                    LogApplied(check.Pipeline!.Mode.ToString().ToLowerInvariant(), check.Pipeline.AsyncPercent);
                }

                return;
            }

            var file = check.Errors.Select(e => e.File).FirstOrDefault(f => f is not null);
            Volatile.Write(ref _status, new ConfigurationStatusDto(
                false, _status.AppliedAt, Timestamps.Format(now.ToUnixTimeMilliseconds()), file, check.Errors));
            var refusal = string.Join("; ", check.Errors.Select(e => $"{e.Setting ?? "(the file)"}: {e.Reason}"));
            if (!string.Equals(refusal, _lastRefusal, StringComparison.Ordinal))
            {
                // A file watcher reports one write of the file as several changes: the same refusal is logged once.
                LogRefused(file ?? "(no file)", refusal);
                _lastRefusal = refusal;
            }
        }
    }

    private static ConfigurationStatusDto Valid(DateTimeOffset at) =>
        new(true, Timestamps.Format(at.ToUnixTimeMilliseconds()), null, null, []);

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration reloaded and in force: Pipeline:Mode={Mode}, Pipeline:AsyncPercent={AsyncPercent}")]
    private partial void LogApplied(string mode, int asyncPercent);

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration reload refused ({File}): {Errors}. The last valid configuration stays in force")]
    private partial void LogRefused(string file, string errors);
}
