namespace ViewingHistory.Cli.Simulation;

/// <summary>What <c>vh simulate</c> was asked to do.</summary>
internal sealed record SimulationOptions
{
    public required Uri Url { get; init; }

    public required string IngestKey { get; init; }

    public required string ServiceKey { get; init; }

    public int Members { get; init; } = 50;

    /// <summary>Target events per second, before bursts.</summary>
    public double Rate { get; init; } = 200;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    public int Batch { get; init; } = 50;

    /// <summary>Share of events sent a second time, later (what a device that lost an answer does).</summary>
    public double DuplicateRate { get; init; } = 0.02;

    /// <summary>Share of events held back and sent in a later batch.</summary>
    public double ReorderRate { get; init; } = 0.05;

    public BurstSpec? Burst { get; init; }

    public int Seed { get; init; }

    public bool Hides { get; init; }

    /// <summary>How long to wait, after the last event, for the server's history to match the model.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Ingest requests in flight at once.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Prefix of every id the run makes, so runs against one server do not mix their members.</summary>
    public required string Prefix { get; init; }

    public bool Plain { get; init; }
}
