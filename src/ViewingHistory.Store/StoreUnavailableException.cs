namespace ViewingHistory.Store;

/// <summary>
/// The store cannot take the operation now, whatever the data: unreachable, timed out, read-only, shutting down, out
/// of disk, memory or connections, locked or busy (<see cref="StoreFailures"/> decides, per engine). Transient: retry
/// later. Every store translates such engine errors into this type at the seam.
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException()
    {
    }

    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
