using ViewingHistory.Server.Configuration;

namespace ViewingHistory.Server.Hosting;

/// <summary>
/// Keeps serving for <see cref="ServiceOptions.DrainDelay"/> after a stop was asked for, before anything stops:
/// <c>/health/ready</c> answers 503 from the first moment of the stop, and a balancer needs a poll or two to notice
/// and take the process out of its rotation. Without the delay the listeners close at once and requests already on
/// their way are refused. Runs before every hosted service's StopAsync (IHostedLifecycleService.StoppingAsync).
/// </summary>
internal sealed class ShutdownDrain(ServiceOptions service, TimeProvider time) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) =>
        Task.Delay(service.DrainDelay, time, cancellationToken).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
