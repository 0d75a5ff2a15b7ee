namespace ViewingHistory.Cli.Simulation;

/// <summary>Live counters of a run, shared by the generator, the senders and the progress view.</summary>
internal sealed class SimulationStats
{
    private long _generated;
    private long _sent;
    private long _accepted;
    private long _duplicates;
    private long _reordered;
    private long _retries;
    private long _errors;
    private long _batches;
    private long _hides;
    private long _simulatedNowMs;

    public long Generated => Interlocked.Read(ref _generated);

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Events in batches answered 202 (resent duplicates included, as the server counts them).</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long Reordered => Interlocked.Read(ref _reordered);

    public long Retries => Interlocked.Read(ref _retries);

    public long Errors => Interlocked.Read(ref _errors);

    public long Batches => Interlocked.Read(ref _batches);

    public long HidesIssued => Interlocked.Read(ref _hides);

    public long SimulatedNowMs
    {
        get => Interlocked.Read(ref _simulatedNowMs);
        set => Interlocked.Exchange(ref _simulatedNowMs, value);
    }

    public string LastError { get; set; } = string.Empty;

    public void OnGenerated() => Interlocked.Increment(ref _generated);

    public void OnDuplicate() => Interlocked.Increment(ref _duplicates);

    public void OnReordered() => Interlocked.Increment(ref _reordered);

    public void OnSent(int events) => Interlocked.Add(ref _sent, events);

    public void OnAccepted(int events)
    {
        Interlocked.Add(ref _accepted, events);
        Interlocked.Increment(ref _batches);
    }

    public void OnRetry() => Interlocked.Increment(ref _retries);

    public void OnError(string message)
    {
        Interlocked.Increment(ref _errors);
        LastError = message;
    }

    public void OnHide() => Interlocked.Increment(ref _hides);
}
