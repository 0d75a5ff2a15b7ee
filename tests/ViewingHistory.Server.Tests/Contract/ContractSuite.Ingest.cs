using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ViewingHistory.Server.Tests.Infrastructure;

namespace ViewingHistory.Server.Tests.Contract;

public abstract partial class ContractSuite<TFixture>
{
    [Fact]
    public async Task Accepted_events_answer_202_with_the_count_including_duplicates()
    {
        var member = Member();
        var e = Ev.Make(member, "t1", position: 30_000);

        using var response = await Api.PostAsync(Ev.Batch(e, e, Ev.Make(member, "t2")));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(3, (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["accepted"]!);
        var items = await Api.ReadUntilAsync(member, i => i.Count == 2, "two items");
        Assert.Equal(1, (int)Item(items, "t1")["sessions"]!);
    }

    [Fact]
    public async Task Resending_a_batch_in_whole_or_in_part_changes_nothing()
    {
        var member = Member();
        var events = Enumerable.Range(0, 10).Select(i => Ev.Make(member, $"t{i % 3}", $"s{i % 4}", seq: i, position: i * 1000, at: Ev.Base.AddSeconds(i))).ToArray();
        await Api.PostAcceptedAsync(Ev.Batch(events));
        var first = await Api.ReadUntilAsync(member, i => i.Count == 3 && i.Sum(x => (int)x["sessions"]!) == 10, "three items of ten sessions");

        await Api.PostAcceptedAsync(Ev.Batch(events.Reverse()));
        await Api.PostAcceptedAsync(Ev.Batch(events.Take(4).Append(Ev.Make(member, "witness"))));
        var again = await Api.WaitForTitleAsync(member, "witness");

        Assert.Equal(ContractClient.Canonical(first), ContractClient.Canonical(again.Where(i => (string?)i["titleId"] != "witness")));
    }

    public static TheoryData<string, string, string> BrokenRules => new()
    {
        { "eventId", "\"\"", "eventId" },
        { "eventId", "\"a b\"", "eventId" },
        { "memberId", "\"" + new string('m', 65) + "\"", "memberId" },
        { "memberId", "\"../../etc/passwd\"", "memberId" },
        { "titleId", "\"x';DROP TABLE items;--\"", "titleId" },
        { "sessionId", "7", "sessionId" },
        { "seq", "-1", "seq" },
        { "seq", "2147483648", "seq" },
        { "seq", "1.5", "seq" },
        { "seq", "1e3", "seq" },
        { "seq", "\"3\"", "seq" },
        { "type", "\"seek\"", "type" },
        { "positionMs", "-1", "positionMs" },
        { "positionMs", "160001", "positionMs" },
        { "positionMs", "123456789012345678901234567890", "positionMs" },
        { "durationMs", "0", "durationMs" },
        { "durationMs", "86400001", "durationMs" },
        { "timestamp", "\"2026-01-01T00:00:00\"", "timestamp" },
        { "timestamp", "\"1999-12-31T23:59:59Z\"", "timestamp" },
        { "timestamp", "\"2999-01-01T00:00:00Z\"", "timestamp" },
        { "timestamp", "\"not a time\"", "timestamp" },
        { "device", "\"" + new string('d', 33) + "\"", "device" },
        { "device", "\"bell\\u0007\"", "device" },
    };

    [Theory]
    [MemberData(nameof(BrokenRules))]
    public async Task An_event_that_breaks_a_rule_is_a_400_naming_index_and_field_and_nothing_is_applied(string field, string json, string expectedField)
    {
        var member = Member();
        var bad = Ev.Make(member, "t-bad", duration: 100_000);
        bad[field] = JsonNode.Parse(json);

        using var response = await Api.PostAsync(Ev.Batch(Ev.Make(member, "t-good"), bad));

        var problem = await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
        var error = Assert.Single(problem["errors"]!.AsArray());
        Assert.Equal(1, (int)error!["index"]!);
        Assert.Equal(expectedField, (string?)error["field"]);
        Assert.False(string.IsNullOrEmpty((string?)error["message"]));
        await AssertNothingAppliedAsync(member);
    }

    [Fact]
    public async Task Every_broken_rule_is_listed_including_missing_fields_and_elements_that_are_not_objects()
    {
        using var response = await Api.PostAsync("""[{"eventId":"ok","seq":-2}, "text", 3]""");

        var problem = await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsArray().Select(e => ((int)e!["index"]!, (string)e["field"]!)).ToHashSet();
        foreach (var f in new[] { "memberId", "titleId", "sessionId", "seq", "type", "positionMs", "durationMs", "timestamp" })
        {
            Assert.Contains((0, f), errors);
        }

        Assert.Contains((1, ""), errors);
        Assert.Contains((2, ""), errors);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"eventId\":\"x\"}")]
    [InlineData("[]")]
    [InlineData("[{\"eventId\":\"a\",\"eventId\":\"b\"}]")]
    [InlineData("[{\"a\":1}")]
    [InlineData("[{\"a\":1}] trailing")]
    public async Task A_body_that_is_not_a_json_array_of_events_is_a_400_with_a_detail(string body)
    {
        using var response = await Api.PostAsync(body);

        var problem = await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrEmpty((string?)problem["detail"]));
        Assert.NotNull(problem["errors"]);
    }

    [Fact]
    public async Task More_than_500_events_is_a_400()
    {
        var member = Member();
        using var response = await Api.PostAsync(Ev.Batch(Enumerable.Range(0, 501).Select(i => Ev.Make(member, "t", seq: i))));

        await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Invalid_utf8_deep_nesting_and_nul_bytes_are_400s_not_500s()
    {
        var invalidUtf8 = new ByteArrayContent([.. Encoding.UTF8.GetBytes("[{\"device\":\""), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}]")]);
        var nested = new string('[', 100_000) + new string(']', 100_000);
        foreach (var content in new HttpContent[] { invalidUtf8, new StringContent(nested), new StringContent("[{\"eventId\":\"a\0b\"}]") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = content };
            content.Headers.ContentType = new("application/json");
            ContractClient.Authorize(request, TestCredentials.IngestKey);
            using var response = await Api.Http.SendAsync(request);
            await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
        }
    }

    [Theory]
    [InlineData("\u0080")]
    [InlineData("\u0085")]
    [InlineData("\u009b")]
    [InlineData("\u009f")]
    public async Task A_device_with_a_c1_control_character_is_a_400_and_nothing_is_applied(string control)
    {
        var member = Member();
        var bad = Ev.Make(member, "t-bad");
        bad["device"] = "tv" + control;

        using var response = await Api.PostAsync(Ev.Batch(Ev.Make(member, "t-good"), bad));

        var problem = await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
        var error = Assert.Single(problem["errors"]!.AsArray());
        Assert.Equal(1, (int)error!["index"]!);
        Assert.Equal("device", (string?)error["field"]);
    }

    [Fact]
    public async Task A_body_with_a_leading_utf8_byte_order_mark_is_accepted()
    {
        var member = Member();
        var content = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Ev.Batch(Ev.Make(member, "t-bom")))]);
        content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = content };
        ContractClient.Authorize(request, TestCredentials.IngestKey);

        using var response = await Api.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["accepted"]!);
        await Api.WaitForTitleAsync(member, "t-bom");
    }

    [Fact]
    public async Task A_byte_order_mark_after_the_first_is_not_ignored()
    {
        var member = Member();
        var content = new ByteArrayContent([0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Ev.Batch(Ev.Make(member, "t-bom2")))]);
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/playback/events") { Content = content };
        ContractClient.Authorize(request, TestCredentials.IngestKey);

        using var response = await Api.Http.SendAsync(request);

        await ContractClient.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_body_over_1_MiB_is_a_413()
    {
        var member = Member();
        var padding = new string('x', 2100);
        var events = Enumerable.Range(0, 500).Select(i =>
        {
            var e = Ev.Make(member, "t", seq: i);
            e["padding"] = padding;
            return e;
        });

        using var response = await Api.PostAsync(Ev.Batch(events));

        await ContractClient.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/jsonx")]
    public async Task A_body_that_is_not_application_json_is_a_415(string contentType)
    {
        using var response = await Api.PostAsync(Ev.Batch(Ev.Make(Member(), "t")), contentType: contentType);

        await ContractClient.ProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Content_type_parameters_are_allowed()
    {
        using var response = await Api.PostAsync(Ev.Batch(Ev.Make(Member(), "t")), contentType: "Application/JSON; charset=utf-8");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    /// <summary>A rejected batch left no trace: a witness posted afterwards for the same member is all there is.</summary>
    private async Task AssertNothingAppliedAsync(string member)
    {
        await Api.PostAcceptedAsync(Ev.Batch(Ev.Make(member, "witness")));
        var items = await Api.WaitForTitleAsync(member, "witness");
        Assert.Equal(["witness"], items.Select(i => (string)i["titleId"]!));
    }
}
