namespace ViewingHistory.EndToEnd.Tests.Chaos;

/// <summary>
/// The shape of a chaos workload and where it sends its requests. <see cref="Ingest"/> and <see cref="Api"/> pick a
/// node for an attempt (the attempt number lets a retry go to another node, as a load balancer would); they return
/// null while no node is up.
/// </summary>
public sealed record ChaosWorkloadOptions(
    string Prefix,
    int Seed,
    string IngestKey,
    string ServiceKey,
    Func<int, Uri?> Ingest,
    Func<int, Uri?> Api)
{
    public int Writers { get; init; } = 6;

    public int Members { get; init; } = 24;

    public int RegularTitles { get; init; } = 5;

    public int HideableTitles { get; init; } = 2;

    /// <summary>Pause between a writer's batches, drawn uniformly from this range in milliseconds: keeps the event count where the final check stays quick.</summary>
    public (int Min, int Max) PauseMs { get; init; } = (5, 40);

    /// <summary>The chance, per batch, that a writer hides one of its titles not yet hidden.</summary>
    public double HideChance { get; init; } = 0.004;
}
