using System.Net;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Admin;

/// <summary><c>POST /v1/admin/consumption/pause|resume</c>: ingest goes on while the processors stop, and nothing is lost.</summary>
public sealed class ConsumptionControlTests(AsyncEmbeddedSqliteFixture fixture) : IClassFixture<AsyncEmbeddedSqliteFixture>
{
    private readonly ContractClient _client = new(fixture.Client, fixture.EventuallyConsistent);

    [Fact]
    public async Task While_paused_events_are_accepted_and_queued_and_after_resume_they_reach_the_history()
    {
        Assert.Equal("paused", await PostAsync("/v1/admin/consumption/pause"));
        Assert.Equal("paused", await PostAsync("/v1/admin/consumption/pause"));
        Assert.Equal("paused", (string?)(await _client.GetJsonAsync("/v1/admin/status"))["consumption"]);
        try
        {
            // Paused consumers count as ok (CONTRACT.md "Operations"): pausing is an operator's choice, not a fault.
            using (var ready = await _client.Http.GetAsync("/health/ready?role=processor"))
            {
                Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
            }

            // A receive already waiting when the pause came may still take what arrives within its batch wait (20 ms).
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            var member = Ev.NewId("paused");
            await _client.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "t1", position: 5_000)));

            await Task.Delay(TimeSpan.FromMilliseconds(500));
            Assert.Empty(await _client.ReadAllAsync(member));

            Assert.Equal("running", await PostAsync("/v1/admin/consumption/resume"));
            var items = await _client.WaitForTitleAsync(member, "t1");
            Assert.Equal(5_000, (long?)items.Single()["positionMs"]);
        }
        finally
        {
            Assert.Equal("running", await PostAsync("/v1/admin/consumption/resume"));
        }

        Assert.Equal("running", (string?)(await _client.GetJsonAsync("/v1/admin/status"))["consumption"]);
    }

    private async Task<string?> PostAsync(string path)
    {
        using var response = await _client.SendAsync(HttpMethod.Post, path, TestCredentials.ServiceKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (string?)System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["consumption"];
    }
}
