using System.Reflection;

namespace ViewingHistory.Server.Hosting;

/// <summary>
/// Where the host looks for <c>appsettings.json</c> and what its file watcher watches. ASP.NET Core takes the working
/// directory, so the binary started from anywhere else (README's roles example runs <c>dotnet $SERVER</c> from the
/// repository root) ran without its <c>appsettings.json</c>: every request logged twice at Information (~400 MB of log in
/// two minutes of load), and the watcher walked the working directory's whole tree. The service's content root is the
/// binary's own directory, where the build and the container image put <c>appsettings.json</c> beside it. <c>DataDir</c>
/// stays relative to the working directory.
/// </summary>
internal static class ContentRoot
{
    /// <summary>
    /// The binary's directory, unless the content root is set (<c>--contentRoot</c>, <c>ASPNETCORE_CONTENTROOT</c> or
    /// <c>DOTNET_CONTENTROOT</c>) or another program hosts this one (WebApplicationFactory sets its own): then null, the
    /// host's own rule.
    /// </summary>
    public static string? Default(string[] args)
    {
        var named = args.Any(a => a.TrimStart('-', '/').StartsWith("contentRoot", StringComparison.OrdinalIgnoreCase))
            || Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT") is { Length: > 0 }
            || Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT") is { Length: > 0 };
        return named || Assembly.GetEntryAssembly() != typeof(ContentRoot).Assembly ? null : AppContext.BaseDirectory;
    }
}
