using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Configuration;

/// <summary>
/// The embedded log's sizes: a value FasterLog refuses, or a page too small for the contract's largest batch, refuses
/// the start before the warm-up (exit 2, the setting named, no stack trace), as every option validated at start.
/// </summary>
public sealed class QueueLogSettingsTests
{
    [Theory]
    [InlineData("Queue:PageSizeBits", "3", "Queue:PageSizeBits must be from 18 to 30")]
    [InlineData("Queue:PageSizeBits", "17", "Queue:PageSizeBits must be from 18 to 30")]
    [InlineData("Queue:MemorySizeBits", "21", "Queue:MemorySizeBits must be from Queue:PageSizeBits to 40.")]
    [InlineData("Queue:SegmentSizeBits", "21", "Queue:SegmentSizeBits must be from Queue:PageSizeBits to 40.")]
    public async Task The_real_binary_with_a_log_size_out_of_range_exits_2_naming_the_setting(string key, string value, string message)
    {
        using var data = new TempDirectory("vh-queue-sizes");
        await using var server = ServerProcess.Launch(new Dictionary<string, string> { ["DataDir"] = data.Path, [key] = value });
        var exit = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, exit);
        Assert.Contains("The service did not start: " + message, server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal); // a setting to fix, not a crash
        Assert.DoesNotContain("Warmed up", server.Output, StringComparison.Ordinal);
    }
}
