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
    public async Task Configured_as_in_a_container_with_a_home_it_cannot_write_the_start_logs_no_warning()
    {
        // As a pod runs it: its own credentials, a read-only root (HOME=/proc: nothing can be written there). Operators
        // alert on warnings; the framework's Data Protection key ring used to add three at every start, for data
        // nothing here protects.
        using var work = new TempDirectory("vh-content-root");
        var settings = new Dictionary<string, string>
        {
            ["DataDir"] = Path.Combine(work.Path, "data"),
            ["Auth:IngestKeys:0"] = "container-ingest-key-0123456789",
            ["Auth:ServiceKeys:0"] = "container-service-key-0123456789",
            ["Auth:MemberTokenSecret"] = "container-member-token-secret-0123456789-abcdef",
        };
        await using var server = await ServerProcess.StartAsync(settings, environment: new Dictionary<string, string> { ["HOME"] = "/proc" }, workingDirectory: work.Path);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/admin/status");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer container-service-key-0123456789");
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.Equal(0, await server.StopAsync(TimeSpan.FromSeconds(30)));
        var warnings = server.Output.Split('\n').Where(l => l.StartsWith("warn:", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal));
        Assert.Empty(warnings);
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
