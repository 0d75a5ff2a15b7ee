using System.Net;

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
