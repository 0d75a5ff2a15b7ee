using System.Diagnostics;

namespace ViewingHistory.Benchmarks.Harness;

/// <summary>
/// What the rows run besides the service: wrk (rows 1 and 9), nats-server (row 8) and PostgreSQL (rows 3, 5 and 8).
/// On a fresh Debian machine they are missing: the suite installs them from Debian's packages first, as
/// scripts/test.sh does for the tests (apt-get as root, or through sudo).
/// </summary>
public static class Prerequisites
{
    public static async Task EnsureAsync()
    {
        var missing = new List<string>();
        if (!OnPath("wrk"))
        {
            missing.Add("wrk");
        }

        if (!OnPath("nats-server") && !File.Exists("/usr/sbin/nats-server"))
        {
            missing.Add("nats-server");
        }

        if (!Directory.Exists("/usr/lib/postgresql") || !Directory.EnumerateFiles("/usr/lib/postgresql", "initdb", SearchOption.AllDirectories).Any())
        {
            missing.Add("postgresql");
        }

        if (missing.Count == 0)
        {
            return;
        }

        Console.Error.WriteLine($"[suite] installing from Debian's packages: {string.Join(' ', missing)}");
        var sudo = Environment.UserName == "root" ? null : "sudo";
        await RunAsync(sudo ?? "apt-get", sudo is null ? ["update", "-qq"] : ["apt-get", "update", "-qq"]);
        string[] install = ["install", "-y", "-qq", .. missing];
        await RunAsync(sudo ?? "apt-get", sudo is null ? install : ["apt-get", .. install]);
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, tool)));

    private static async Task RunAsync(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false };
        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` exited with {process.ExitCode}: install the packages by hand.");
        }
    }
}
