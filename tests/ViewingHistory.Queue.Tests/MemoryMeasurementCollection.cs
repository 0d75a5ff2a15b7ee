using Xunit;

namespace ViewingHistory.Queue.Tests;

/// <summary>Tests that compare the process's managed heap before and after: run alone, so no other test's allocations count.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementCollection
{
    public const string Name = "Memory measurement";
}
