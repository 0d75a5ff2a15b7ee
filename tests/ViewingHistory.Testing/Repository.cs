namespace ViewingHistory.Testing;

/// <summary>The checkout the tests were built from, for tests that read or run its files.</summary>
public static class Repository
{
    /// <summary>The repository's root: the directory holding <c>ViewingHistory.slnx</c> above the test's output directory.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ViewingHistory.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root (ViewingHistory.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
