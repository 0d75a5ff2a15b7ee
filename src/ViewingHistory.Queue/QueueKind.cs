namespace ViewingHistory.Queue;

/// <summary>The durable queue engines (<c>Queue:Kind</c>).</summary>
public enum QueueKind
{
    /// <summary>A durable log inside the process, in the data directory (the default).</summary>
    Embedded,

    /// <summary>NATS JetStream at <c>Queue:Url</c>, shared by every process of a deployment.</summary>
    JetStream,
}
