using ViewingHistory.Pipeline;
using ViewingHistory.Pipeline.Archive;
using ViewingHistory.Pipeline.Erasure;
using ViewingHistory.Queue;
using ViewingHistory.Store;
using ViewingHistory.Store.Rights;

namespace ViewingHistory.Server.Hosting;

/// <summary>
/// What this processor node's configuration keeps of the member's data outside the store's own rows: the erasure parts
/// it runs. <paramref name="Relay"/>: the change relay runs; <paramref name="ArchiveRoot"/>: the full path of the
/// archive root it writes, null with the archive off. The shadow store is known from <see cref="StoreSet.Shadow"/>.
/// </summary>
internal sealed record RunningErasureParts(bool Relay, string? ArchiveRoot);

/// <summary>
/// Keeps erasures completing after the deployment stops running one of their parts (CONTRACT.md "Modes": moving between
/// modes strands nothing; the counterpart of <see cref="ConsumerRetirement"/>, which retires the queue consumers in the
/// same situations): a part registered in the store that this configuration no longer runs is cleaned where its data
/// is still there, and retired (unregistered, so erasures no longer wait for it) once it is gone or out of reach.
/// <list type="bullet">
/// <item>The shadow store of an earlier shadow mode (<c>history-shadow.db</c>, schema <c>vh_shadow</c>): while it exists,
/// every pending erasure is copied to it (its rows of the member deleted, as the purge service does in shadow mode);
/// once the operator deleted it (docs/MIGRATION.md), the part is retired.</item>
/// <item>The relay's stream with the relay turned off: purged through the queue engine's sink as the relay would; on a
/// queue engine with no change stream it cannot be reached, and its messages expire by <c>Store:ChangeRetention</c>
/// (the stream's <c>MaxAge</c>): retired at once.</item>
/// <item>An archive root of this node no longer written (the archive off, or <c>Archive:Path</c> moved): while its
/// directory is there, a rewrite pass every <see cref="ErasureOptions.ArchivePassInterval"/>; retired once it is gone.</item>
/// </list>
/// Runs on every processor node (the shadow and relay parts are shared, each archive root is its node's); several at
/// once repeat idempotent work. A failure (a store or stream down) is retried at the next interval.
/// </summary>
internal sealed partial class ErasurePartRetirement(
    StoreSet stores,
    IServiceProvider services,
    RunningErasureParts running,
    ErasureOptions options,
    TimeProvider time,
    ILoggerFactory loggers) : PeriodicPass(options.PurgeInterval, time, loggers.CreateLogger<ErasurePartRetirement>(), "Erasure: retiring parts this configuration no longer runs")
{
    private readonly ILogger _logger = loggers.CreateLogger<ErasurePartRetirement>();
    private DateTimeOffset _nextArchivePass = DateTimeOffset.MinValue;
    private bool _shadowWarned;

    /// <summary>One pass over the registered parts; returns the parts retired.</summary>
    public async Task<IReadOnlyList<string>> RunOnceAsync(CancellationToken cancellationToken)
    {
        var retired = new List<string>();
        var ownArchivePrefix = ErasureParts.Archive(Environment.MachineName, string.Empty);
        var archiveDue = Time.GetUtcNow() >= _nextArchivePass;
        foreach (var part in await stores.Primary.ReadErasurePartsAsync(cancellationToken))
        {
            Task<bool>? leftover = part switch
            {
                ErasureParts.Shadow when stores.Shadow is null => CleanAbandonedShadowAsync(cancellationToken),
                ErasureParts.Relay when !running.Relay => CleanRelayStreamAsync(cancellationToken),
                _ when part.StartsWith(ownArchivePrefix, StringComparison.Ordinal) && part[ownArchivePrefix.Length..] is var root
                    && !string.Equals(root, running.ArchiveRoot, StringComparison.Ordinal) => CleanArchiveRootAsync(root, archiveDue, cancellationToken),
                _ => null, // run by this configuration, or another node's archive root
            };
            if (leftover is not null && !await leftover)
            {
                await stores.Primary.RetireErasurePartAsync(part, cancellationToken);
                LogRetired(part);
                retired.Add(part);
            }
        }

        if (archiveDue)
        {
            _nextArchivePass = Time.GetUtcNow() + options.ArchivePassInterval;
        }

        return retired;
    }

    protected override Task RunPassAsync(CancellationToken cancellationToken) => RunOnceAsync(cancellationToken);

    /// <summary>Cleans the shadow store an earlier shadow mode left, if it is there; false once it is gone.</summary>
    private async Task<bool> CleanAbandonedShadowAsync(CancellationToken cancellationToken)
    {
        var shadow = services.GetRequiredKeyedService<IHistoryStore>(HistoryStoreKeys.Shadow);
        if (!await shadow.ExistsAsync(cancellationToken))
        {
            return false;
        }

        if (!_shadowWarned)
        {
            LogAbandonedShadow();
            _shadowWarned = true;
        }

        var pending = await stores.Primary.ReadPendingErasuresAsync(ErasureParts.Shadow, cancellationToken);
        if (pending.Count > 0)
        {
            await shadow.InitializeAsync(cancellationToken);
            foreach (var erasure in pending)
            {
                await shadow.EraseMemberAsync(erasure.MemberId, erasure.RequestedAtMs, cancellationToken);
            }

            await shadow.PurgeErasedChangesAsync(options.PositionsPerTransaction, cancellationToken);
            foreach (var erasure in pending)
            {
                await stores.Primary.MarkErasurePartCleanAsync(ErasureParts.Shadow, erasure.MemberId, erasure.ErasedThroughMs, cancellationToken);
            }
        }

        return true;
    }

    /// <summary>Purges the relay's stream with the relay off, as the relay would; false where the engine has no stream.</summary>
    private async Task<bool> CleanRelayStreamAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<IChangeStreamSink>() is not { } sink)
        {
            LogRelayUnreachable();
            return false;
        }

        foreach (var erasure in await stores.Primary.ReadPendingErasuresAsync(ErasureParts.Relay, cancellationToken))
        {
            await sink.PurgeMemberAsync(erasure.MemberId, erasure.FeedPosition, cancellationToken);
            await stores.Primary.MarkErasurePartCleanAsync(ErasureParts.Relay, erasure.MemberId, erasure.ErasedThroughMs, cancellationToken);
        }

        return true;
    }

    /// <summary>A rewrite pass over a root of this node no longer written, when due; false once its directory is gone.</summary>
    private async Task<bool> CleanArchiveRootAsync(string root, bool due, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(root))
        {
            return false;
        }

        if (due)
        {
            await new ArchiveEraser(stores.Primary, root, Environment.MachineName, options, loggers.CreateLogger<ArchiveEraser>()).RunPassAsync(cancellationToken);
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure: the part '{Part}' is not run by this configuration: retired, erasures no longer wait for it")]
    private partial void LogRetired(string part);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Erasure: a shadow store from an earlier shadow mode is still there, holding members' data that nothing reads: erasures are applied to it until it is deleted (docs/MIGRATION.md)")]
    private partial void LogAbandonedShadow();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Erasure: the relay's stream is not reachable from this configuration (no change stream on this queue engine); its messages expire by Store:ChangeRetention, or delete the stream")]
    private partial void LogRelayUnreachable();
}
