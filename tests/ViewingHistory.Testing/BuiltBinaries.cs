namespace ViewingHistory.Testing;

/// <summary>The repository's own built programs, in the configuration the tests were built in, for tests that run them as child processes.</summary>
public static class BuiltBinaries
{
    /// <summary>The dll of <paramref name="assembly"/> built from <c>src/<paramref name="project"/></c>.</summary>
    public static string Dll(string project, string assembly)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(Repository.Root(), "src", project, "bin", configuration, "net10.0", assembly + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build {project} first ({configuration}): {dll} is missing.");
    }
}
