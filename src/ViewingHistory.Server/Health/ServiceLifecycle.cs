namespace ViewingHistory.Server.Health;

/// <summary>
/// Where the process is in its life, as readiness sees it (CONTRACT.md "Operations": a process that is starting or
/// draining for shutdown answers 503): starting until the engines are initialized, draining from the moment the host
/// signals <see cref="IHostApplicationLifetime.ApplicationStopping"/>.
/// </summary>
internal sealed class ServiceLifecycle(IHostApplicationLifetime lifetime)
{
    private volatile bool _initialized;

    /// <summary>True until <see cref="EnginesInitialized"/> was called.</summary>
    public bool IsStarting => !_initialized;

    /// <summary>True once the host began to stop: the balancer should send nothing more.</summary>
    public bool IsDraining => lifetime.ApplicationStopping.IsCancellationRequested;

    /// <summary>Called once the queue and the stores are created or migrated.</summary>
    public void EnginesInitialized() => _initialized = true;
}
