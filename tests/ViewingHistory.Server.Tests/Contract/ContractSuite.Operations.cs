using System.Net;
using System.Text.Json.Nodes;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Contract;

public abstract partial class ContractSuite<TFixture>
{
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_endpoints_answer_200_without_credentials(string path)
    {
        using var response = await Api.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readiness_names_the_status_and_each_role_the_process_plays()
    {
        using var response = await Api.Http.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal("ready", (string?)body["status"]);
        Assert.Equal(
            """{"ingest":"ok","processor":"ok","api":"ok"}""",
            body["roles"]!.ToJsonString());
    }

    [Theory]
    [InlineData("ingest")]
    [InlineData("processor")]
    [InlineData("api")]
    public async Task Readiness_of_one_role_answers_for_that_role_alone(string role)
    {
        using var response = await Api.Http.GetAsync($"/health/ready?role={role}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal("ready", (string?)body["status"]);
        Assert.Equal(new JsonObject { [role] = "ok" }.ToJsonString(), body["roles"]!.ToJsonString());
    }

    [Theory]
    [InlineData("?role=archive")]
    [InlineData("?role=")]
    [InlineData("?role=Ingest")]
    [InlineData("?role=ingest&role=api")]
    public async Task Readiness_refuses_an_unknown_role_with_a_400_problem(string query)
    {
        using var response = await Api.Http.GetAsync("/health/ready" + query);

        var problem = await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("role", (string?)problem["errors"]![0]!["field"]);
    }

    [Fact]
    public async Task Metrics_are_prometheus_text_with_the_contract_names()
    {
        await Api.PostAcceptedAsync(Infrastructure.Ev.Batch(Infrastructure.Ev.Make(Member(), "t")));

        var text = await Api.Http.GetStringAsync("/metrics");

        foreach (var name in new[] { "vh_ingest_events_total", "vh_processed_events_total", "vh_queue_lag_events", "vh_dlq_events", "vh_end_to_end_latency_seconds_bucket" })
        {
            Assert.Contains(name, text, StringComparison.Ordinal);
        }
    }
}
