namespace ViewingHistory.Testing;

/// <summary>The repository's own built programs, in the configuration the tests were built in, for tests that run them as child processes.</summary>
public static class BuiltBinaries
{
    /// <summary>The dll of <paramref name="assembly"/> built from <c>src/<paramref name="project"/></c>.</summary>
    public static string Dll(string project, string assembly)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(RepositoryRoot(), "src", project, "bin", configuration, "net10.0", assembly + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build {project} first ({configuration}): {dll} is missing.");
    }

    /// <summary>The checkout the tests were built from (where <c>ViewingHistory.slnx</c> is).</summary>
    public static string RepositoryRoot()
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
