using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Configuration;

/// <summary>
/// <c>Archive:Nice</c>: the archive's thread runs at the nice value set, and one outside 0-19 refuses the start (exit 2,
/// the setting named, no stack trace: as every option validated at start).
/// </summary>
public sealed class ArchiveNiceTests
{
    [Fact(Timeout = 60_000)]
    public async Task The_archive_thread_runs_at_the_nice_value_set()
    {
        using var data = new TempDirectory("vh-archive-nice");
        await using var host = InProcessHost.Start(data.Path, new Dictionary<string, string?> { ["Archive:Nice"] = "13" });

        // Other tests of this process run hosts of their own, at the default: this one's thread is the one at 13.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!ThreadNices("Archive").Contains(13))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no thread named Archive at nice 13; seen: {string.Join(", ", ThreadNices("Archive"))}");
            await Task.Delay(100);
        }

        Assert.DoesNotContain(13, ThreadNices(".NET TP Worker")); // the requests' threads keep theirs
    }

    [Theory]
    [InlineData("20")]
    [InlineData("-1")]
    public async Task The_real_binary_with_a_nice_value_outside_0_to_19_exits_2_naming_the_setting(string nice)
    {
        using var data = new TempDirectory("vh-archive-nice");
        await using var server = ServerProcess.Launch(new Dictionary<string, string> { ["DataDir"] = data.Path, ["Archive:Nice"] = nice });
        var exit = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, exit);
        Assert.Contains("The service did not start: DataAnnotation validation failed for 'ArchiveOptions' members: 'Nice' with the error: 'The field Nice must be between 0 and 19.'", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal); // a setting to fix, not a crash
    }

    /// <summary>The nice values of this process's threads named <paramref name="name"/> (/proc/self/task/*/stat, field 19).</summary>
    private static List<int> ThreadNices(string name)
    {
        var nices = new List<int>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') != name)
                {
                    continue;
                }

                // The name may hold spaces: the fields are counted from after its closing parenthesis (field 3 on).
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                nices.Add(int.Parse(fields[19 - 3], System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                // The thread ended while it was read.
            }
        }

        return nices;
    }
}
