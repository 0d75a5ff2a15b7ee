using System.Diagnostics;
using System.Text.Json.Nodes;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Deployment;

/// <summary>
/// The offline tools the checks of <c>deploy/</c> run (DESIGN.md "Offline checks of deployment files"): kubectl for
/// <c>kubectl kustomize</c>, node with the packages of <c>deploy/tools</c> (schemas, PromQL). scripts/test.sh installs
/// them; a missing one fails the test, never skips it.
/// </summary>
internal static class DeployTools
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(1);

    public static string Deploy => Path.Combine(Repository.Root(), "deploy");

    /// <summary>The rendered objects of one overlay (<c>kubectl kustomize</c>), as YAML.</summary>
    public static async Task<string> RenderAsync(string overlay)
    {
        var psi = Command(Tool("kubectl"));
        psi.ArgumentList.Add("kustomize");
        psi.ArgumentList.Add(overlay);
        return (await ChildCommand.RunForOutputAsync(psi, CommandTimeout)).Stdout;
    }

    /// <summary>
    /// Runs <c>deploy/tools/check.mjs</c> (<paramref name="mode"/> <c>manifests</c> or <c>promql</c>) over
    /// <paramref name="files"/>; its exit code and complaints, and what it wrote for the test's own checks.
    /// </summary>
    public static async Task<(ChildOutput Run, JsonArray? Found)> CheckAsync(string mode, params string[] files)
    {
        var tools = Path.Combine(Deploy, "tools");
        if (!Directory.Exists(Path.Combine(tools, "node_modules")))
        {
            throw new InvalidOperationException($"{tools}/node_modules is missing: run scripts/test.sh (npm ci --prefix deploy/tools).");
        }

        var output = Path.Combine(Path.GetTempPath(), $"vh-deploy-check-{Guid.NewGuid():N}.json");
        try
        {
            var psi = Command(Tool("node"));
            psi.ArgumentList.Add(Path.Combine(tools, "check.mjs"));
            psi.ArgumentList.Add(mode);
            psi.ArgumentList.Add(output);
            foreach (var file in files)
            {
                psi.ArgumentList.Add(file);
            }

            var run = await ChildCommand.RunForOutputAsync(psi, CommandTimeout, check: false);
            var found = File.Exists(output) ? JsonNode.Parse(await File.ReadAllTextAsync(output))?.AsArray() : null;
            return (run, found);
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static ProcessStartInfo Command(string file) => new(file) { UseShellExecute = false, WorkingDirectory = Repository.Root() };

    private static string Tool(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new InvalidOperationException($"{name} is not on PATH: run scripts/test.sh (it installs kubectl from Debian's kubernetes-client and node's packages for deploy/tools).");
    }
}
