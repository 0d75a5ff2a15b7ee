using System.Net;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Configuration;

/// <summary>The real binary reads the <c>appsettings.json</c> beside it, wherever it is started from.</summary>
public sealed class ContentRootTests
{
    [Fact]
    public async Task Started_from_a_directory_without_appsettings_the_binary_keeps_its_own_and_DataDir_stays_relative_to_the_working_directory()
    {
        // A working directory with no appsettings.json (the tests' own directory has a copy of the server's).
        using var work = new TempDirectory("vh-content-root");
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string> { ["DataDir"] = "data" }, workingDirectory: work.Path);
        for (var i = 0; i < 3; i++)
        {
            using var response = await server.Client.GetAsync("/health/live");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // A graceful stop flushes the console log: every request line would be in it by then.
        Assert.Equal(0, await server.StopAsync(TimeSpan.FromSeconds(30)));
        var output = server.Output;
        Assert.Contains("Application is shutting down", output, StringComparison.Ordinal); // the Information level of the service's own log
        Assert.DoesNotContain("Request finished", output, StringComparison.Ordinal); // appsettings.json: Microsoft.AspNetCore at Warning
        Assert.True(File.Exists(Path.Combine(work.Path, "data", "credentials.json")), "DataDir=data is relative to the working directory");
    }

    [Fact]
    public async Task A_DataDir_that_names_a_file_exits_2_naming_the_setting_without_a_stack_trace()
    {
        using var work = new TempDirectory("vh-content-root");
        var file = Path.Combine(work.Path, "not-a-directory");
        await File.WriteAllTextAsync(file, "x");

        await using var server = ServerProcess.Launch(new Dictionary<string, string> { ["DataDir"] = file });

        Assert.Equal(2, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"The service did not start: DataDir: '{file}' cannot be used as the data directory", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal);
        Assert.Equal("x", await File.ReadAllTextAsync(file));
    }
}
