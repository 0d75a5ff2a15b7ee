namespace ViewingHistory.Testing.Vectors;

/// <summary>
/// The erasure cases (this project's Vectors/erasure.json): the contract's history vectors with erasure marks, kept
/// here beside the shared ones, which carry none.
/// </summary>
public static class ErasureVectors
{
    private static readonly Lazy<IReadOnlyList<HistoryVectorCase>> Cases =
        new(() => HistoryVectors.Load(Path.Combine(AppContext.BaseDirectory, "Vectors", "erasure.json")));

    public static IReadOnlyList<HistoryVectorCase> All => Cases.Value;

    public static IEnumerable<object[]> Names => All.Select(c => new object[] { c.Name });

    public static HistoryVectorCase Get(string name) => All.Single(c => c.Name == name);
}
