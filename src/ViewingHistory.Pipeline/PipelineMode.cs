namespace ViewingHistory.Pipeline;

/// <summary>Which path makes accepted events visible (CONTRACT.md "Modes").</summary>
public enum PipelineMode
{
    /// <summary>The ingest request appends to the queue, and processors apply to the store.</summary>
    Async,

    /// <summary>The pre-migration path: the ingest request also applies its events to the store before it answers.</summary>
    Sync,

    /// <summary>Sync is authoritative; processors also build a shadow store from the queue, compared against it.</summary>
    Shadow,
}
