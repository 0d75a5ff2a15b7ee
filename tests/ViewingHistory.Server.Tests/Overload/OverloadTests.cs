using System.Net;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Overload;

public sealed class LimitedFixture : InProcessServiceFixture
{
    public override bool EventuallyConsistent => true;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Ingest:RateLimitPerSecond"] = "1",
        ["Ingest:RateLimitBurst"] = "3",
        ["Auth:IngestKeys:1"] = "second-ingest-key-0123456789",
        ["Auth:IngestKeys:2"] = "third-ingest-key-0123456789",
    };
}

/// <summary>Issue 5 "Overload": a per-key rate (429 with Retry-After). The in-flight bound needs real sockets: see the end-to-end tests.</summary>
public sealed class OverloadTests(LimitedFixture fixture) : IClassFixture<LimitedFixture>
{
    private readonly ContractClient _api = new(fixture.Client, fixture.EventuallyConsistent);

    [Fact]
    public async Task A_key_over_its_rate_gets_429_with_retry_after_and_other_keys_are_not_affected()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 30 && !statuses.Contains(HttpStatusCode.TooManyRequests); i++)
        {
            using var response = await _api.PostAsync(Ev.Batch(Ev.Make(Ev.NewId("m"), "t")), "second-ingest-key-0123456789");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await ContractClient.ProblemAsync(response, HttpStatusCode.TooManyRequests);
                Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            }
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(HttpStatusCode.Accepted, statuses[0]);
        using var other = await _api.PostAsync(Ev.Batch(Ev.Make(Ev.NewId("m"), "t")), "third-ingest-key-0123456789");
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
    }
}
