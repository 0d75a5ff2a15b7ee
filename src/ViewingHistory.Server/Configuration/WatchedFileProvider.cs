using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace ViewingHistory.Server.Configuration;

/// <summary>
/// The operator's <c>ConfigFile</c> directory, watched two ways: file-system events, which see a file written or
/// renamed in place at once, and polling (every 4 s, the runtime's interval), which sees what events miss. A Kubernetes
/// ConfigMap volume is the case that needs it: <c>pipeline.json</c> there is a symlink to <c>..data/pipeline.json</c>,
/// and the kubelet updates it by writing a new timestamped directory and swapping the <c>..data</c> symlink in one
/// rename, so no event names the file the configuration watches. Polling reads the file's time through the links, so
/// it sees the swap. After either fires, a new token of each starts from what is there now: one change, one reload.
/// </summary>
internal sealed class WatchedFileProvider : IFileProvider, IDisposable
{
    private readonly PhysicalFileProvider _events;
    private readonly PhysicalFileProvider _polling;

    public WatchedFileProvider(string root)
    {
        _events = new PhysicalFileProvider(root);
        _polling = new PhysicalFileProvider(root) { UsePollingFileWatcher = true, UseActivePolling = true };
    }

    public IFileInfo GetFileInfo(string subpath) => _events.GetFileInfo(subpath);

    public IDirectoryContents GetDirectoryContents(string subpath) => _events.GetDirectoryContents(subpath);

    public IChangeToken Watch(string filter) => new CompositeChangeToken([_events.Watch(filter), _polling.Watch(filter)]);

    public void Dispose()
    {
        _events.Dispose();
        _polling.Dispose();
    }
}
