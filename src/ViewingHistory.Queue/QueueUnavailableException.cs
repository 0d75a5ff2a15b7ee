namespace ViewingHistory.Queue;

/// <summary>The queue cannot make an append durable now (unreachable, full). Transient: the caller may retry or spool.</summary>
public sealed class QueueUnavailableException : Exception
{
    public QueueUnavailableException()
    {
    }

    public QueueUnavailableException(string message)
        : base(message)
    {
    }

    public QueueUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
