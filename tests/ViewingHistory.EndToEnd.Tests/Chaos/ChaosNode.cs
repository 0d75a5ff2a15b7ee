using ViewingHistory.Testing;

namespace ViewingHistory.EndToEnd.Tests.Chaos;

/// <summary>
/// One server process of a chaos deployment that can be SIGKILLed and started again with the same settings and data
/// dir (an ingest node's spool lives there). While it is down <see cref="BaseAddress"/> is null, so clients send
/// elsewhere, as a load balancer would once its health check fails.
/// </summary>
public sealed class ChaosNode(string name, IReadOnlyDictionary<string, string> settings) : IAsyncDisposable
{
    private ServerProcess? _process;
    private Uri? _baseAddress;

    public string Name { get; } = name;

    public Uri? BaseAddress => Volatile.Read(ref _baseAddress);

    public ServerProcess Process => _process ?? throw new InvalidOperationException($"{Name} is not running.");

    public async Task StartAsync()
    {
        _process = await ServerProcess.StartAsync(settings, readyTimeout: TimeSpan.FromSeconds(120));
        Volatile.Write(ref _baseAddress, _process.BaseAddress);
    }

    public async Task KillAsync()
    {
        if (_process is null)
        {
            return;
        }

        await _process.KillAsync();
        Volatile.Write(ref _baseAddress, null);
        await _process.DisposeAsync();
        _process = null;
    }

    public ValueTask DisposeAsync() => _process?.DisposeAsync() ?? ValueTask.CompletedTask;
}
