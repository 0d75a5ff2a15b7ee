using ViewingHistory.Server.Tests.Infrastructure;
using ViewingHistory.Testing;

namespace ViewingHistory.Server.Tests.Configuration;

/// <summary><c>Store:Shards</c> settings that cannot run refuse the start with a reason that names them.</summary>
public sealed class StoreShardSettingsTests
{
    [Theory]
    [InlineData("sqlite", false, "Store:Shards needs Store:Kind=postgres")]
    [InlineData("postgres", true, "Store:ConnectionString and Store:Shards are both set")]
    public async Task Shards_without_postgres_or_beside_a_connection_string_refuse_to_start(string kind, bool withConnectionString, string reason)
    {
        using var data = new TempDirectory("vh-shard-settings");
        var settings = new Dictionary<string, string?>
        {
            ["Store:Kind"] = kind,
            ["Store:Shards:0"] = "Host=127.0.0.1;Port=1;Database=a",
            ["Store:Shards:1"] = "Host=127.0.0.1;Port=1;Database=b",
        };
        if (withConnectionString)
        {
            settings["Store:ConnectionString"] = "Host=127.0.0.1;Port=1;Database=c";
        }

        var refused = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var host = InProcessHost.Start(data.Path, settings);
        });
        Assert.Contains(reason, refused.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Store:Shards:1", "Host=127.0.0.1;Port=abc;Password=hunter2-secret", "Store:Shards:1 is not a valid Npgsql connection string")]
    [InlineData("Store:ConnectionString", "Host=127.0.0.1;Pasword=hunter2-secret", "Store:ConnectionString is not a valid Npgsql connection string")]
    public async Task The_real_binary_with_an_unparsable_connection_string_exits_2_naming_the_setting_without_a_stack_trace_or_the_password(
        string setting, string connectionString, string reason)
    {
        using var data = new TempDirectory("vh-shard-settings");
        var settings = new Dictionary<string, string>
        {
            ["DataDir"] = data.Path,
            ["Store:Kind"] = "postgres",
            [setting] = connectionString,
        };
        if (setting.StartsWith("Store:Shards", StringComparison.Ordinal))
        {
            settings["Store:Shards:0"] = "Host=127.0.0.1;Port=1;Database=a";
        }

        await using var server = ServerProcess.Launch(settings);
        var exit = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var output = server.Output;
        Assert.Equal(2, exit);
        Assert.Contains("The service did not start: " + reason, output, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
