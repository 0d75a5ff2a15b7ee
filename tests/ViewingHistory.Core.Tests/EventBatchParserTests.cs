using System.Text;
using ViewingHistory.Core.Events;
using ViewingHistory.Core.Validation;

namespace ViewingHistory.Core.Tests;

public sealed class EventBatchParserTests
{
    private static readonly long Now = DateTimeOffset.Parse("2026-11-27T17:00:00Z").ToUnixTimeMilliseconds();

    private const string Valid =
        """{"eventId":"e1","memberId":"m1","titleId":"t1","sessionId":"s1","seq":0,"type":"start","positionMs":0,"durationMs":1000,"timestamp":"2026-11-27T16:59:00.123456+01:00"}""";

    private static BatchParseResult Parse(string body) => EventBatchParser.Parse(Encoding.UTF8.GetBytes(body), Now);

    private static string With(string field, string json) =>
        System.Text.RegularExpressions.Regex.Replace(Valid, $"\"{field}\":(\"[^\"]*\"|[^,}}]*)", $"\"{field}\":{json}");

    [Fact]
    public void A_valid_event_is_parsed_with_its_timestamp_truncated_to_milliseconds_in_utc()
    {
        var result = Parse($"[{Valid}]");

        Assert.True(result.IsValid);
        var e = Assert.Single(result.Events);
        Assert.Equal("2026-11-27T15:59:00.123Z", Timestamps.Format(e.TimestampMs));
        Assert.Equal(PlaybackEventType.Start, e.Type);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("{}", "array")]
    [InlineData("[]", "empty")]
    [InlineData("[1,", "not valid JSON")]
    [InlineData("[] []", "not valid JSON")]
    [InlineData("nul", "not valid JSON")]
    public void A_body_that_is_not_a_non_empty_array_is_malformed(string body, string detail)
    {
        var result = Parse(body);

        Assert.False(result.IsValid);
        Assert.Contains(detail, result.BodyError, StringComparison.Ordinal);
    }

    [Fact]
    public void More_than_500_events_is_malformed()
    {
        var result = Parse("[" + string.Join(',', Enumerable.Repeat(Valid, 501)) + "]");

        Assert.Contains("500", result.BodyError, StringComparison.Ordinal);
    }

    [Fact]
    public void Exactly_500_events_are_accepted()
    {
        Assert.Equal(500, Parse("[" + string.Join(',', Enumerable.Repeat(Valid, 500)) + "]").Events.Count);
    }

    [Theory]
    [InlineData("""[{"eventId":"a","eventId":"b"}]""")]
    [InlineData("""[{"eventId":"a","\u0065ventId":"b"}]""")]
    [InlineData("""[{"x":1,"x":2}]""")]
    [InlineData("""[{"x":{"y":1,"y":2}}]""")]
    public void An_object_with_the_same_key_twice_is_malformed(string body)
    {
        Assert.Contains("twice", Parse(body).BodyError, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_malformed_not_an_exception()
    {
        var bytes = Encoding.UTF8.GetBytes($"[{Valid}]");
        var bad = bytes.Concat(new byte[] { 0xC3, 0x28 }).ToArray();
        bytes = [.. Encoding.UTF8.GetBytes("[{\"device\":\""), 0xFF, .. Encoding.UTF8.GetBytes("\"}]")];

        Assert.False(EventBatchParser.Parse(bytes, Now).IsValid);
        Assert.NotNull(EventBatchParser.Parse(bad, Now).BodyError);
    }

    [Fact]
    public void A_type_and_a_timestamp_written_with_escapes_read_as_the_same_text()
    {
        var escaped = With("type", "\"\\u0073tart\"").Replace("\"2026-11-27T16:59", "\"\\u0032026-11-27\\u005416:59", StringComparison.Ordinal);

        var result = Parse($"[{escaped}]");

        Assert.True(result.IsValid);
        Assert.Equal(Parse($"[{Valid}]").Events, result.Events);
    }

    [Theory]
    // Longer than the parser's text buffer: read as a string, judged by the same rules.
    [InlineData("\"2026-11-27T16:59:00.1234567890123456789012345678901234567890123456789+01:00\"")]
    [InlineData("\"progress-progress-progress-progress-progress-progress-progress-progress\"")]
    [InlineData("\"\\ud800\"")]
    [InlineData("42")]
    [InlineData("null")]
    public void A_long_or_odd_timestamp_or_type_is_judged_as_any_other(string json)
    {
        var timestamp = Parse($"[{With("timestamp", json)}]");
        var type = Parse($"[{With("type", json)}]");

        Assert.False(type.IsValid);
        if (json.StartsWith("\"2026", StringComparison.Ordinal))
        {
            // RFC 3339 allows any number of fraction digits; the timestamp is truncated to milliseconds.
            Assert.True(timestamp.IsValid);
            Assert.Equal("2026-11-27T15:59:00.123Z", Timestamps.Format(Assert.Single(timestamp.Events).TimestampMs));
        }
        else
        {
            Assert.False(timestamp.IsValid);
        }
    }

    [Fact]
    public void An_escaped_lone_surrogate_is_malformed_not_an_exception()
    {
        Assert.NotNull(Parse("""[{"device":"\ud800"}]""").BodyError);
    }

    [Fact]
    public void Deep_nesting_is_malformed_not_an_exception()
    {
        var body = "[" + new string('[', 10_000) + new string(']', 10_000) + "]";

        Assert.NotNull(Parse(body).BodyError);
    }

    [Theory]
    [InlineData("eventId", "\"\"")]
    [InlineData("eventId", "\"has space\"")]
    [InlineData("memberId", "\"../etc\"")]
    [InlineData("titleId", "\"x';DROP TABLE items;--\"")]
    [InlineData("sessionId", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"")]
    [InlineData("memberId", "42")]
    [InlineData("seq", "-1")]
    [InlineData("seq", "2147483648")]
    [InlineData("seq", "1.0")]
    [InlineData("seq", "1e2")]
    [InlineData("seq", "\"1\"")]
    [InlineData("seq", "99999999999999999999999999")]
    [InlineData("type", "\"seek\"")]
    [InlineData("type", "\"Start\"")]
    [InlineData("durationMs", "0")]
    [InlineData("durationMs", "86400001")]
    [InlineData("positionMs", "-5")]
    [InlineData("positionMs", "61001")]
    [InlineData("timestamp", "\"2026-11-27T16:59:00\"")]
    [InlineData("timestamp", "\"1999-12-31T23:59:59.999Z\"")]
    [InlineData("timestamp", "\"2026-11-27T17:05:00.001Z\"")]
    [InlineData("timestamp", "\"2026-02-30T00:00:00Z\"")]
    [InlineData("timestamp", "\"yesterday\"")]
    [InlineData("eventId", "null")]
    public void A_broken_rule_is_reported_with_its_index_and_field(string field, string json)
    {
        var result = Parse($"[{Valid},{With(field, json)}]");

        Assert.Null(result.BodyError);
        var error = Assert.Single(result.Errors);
        Assert.Equal(1, error.Index);
        Assert.Equal(field, error.Field);
        Assert.Empty(result.Events);
    }

    [Theory]
    [InlineData("\"0123456789012345678901234567890123\"")]
    [InlineData("\"tab\\there\"")]
    [InlineData("\"nul\\u0000\"")]
    [InlineData("7")]
    public void A_bad_device_is_reported(string json)
    {
        var error = Assert.Single(Parse($"[{Valid.TrimEnd('}')},\"device\":{json}}}]").Errors);

        Assert.Equal("device", error.Field);
    }

    [Theory]
    [InlineData("\"c1\\u0080\"")]
    [InlineData("\"csi\\u009b[2J\"")]
    [InlineData("\"apc\\u009f\"")]
    [InlineData("\"del\\u007f\"")]
    public void A_device_with_a_c1_control_character_is_refused(string json)
    {
        var error = Assert.Single(Parse($"[{Valid.TrimEnd('}')},\"device\":{json}}}]").Errors);

        Assert.Equal("device", error.Field);
    }

    [Fact]
    public void A_c1_control_character_written_raw_in_utf8_is_refused_too()
    {
        // U+0085 (NEL) as its two UTF-8 bytes, not as an escape.
        byte[] bytes = [.. Encoding.UTF8.GetBytes($"[{Valid.TrimEnd('}')},\"device\":\"tv"), 0xC2, 0x85, .. Encoding.UTF8.GetBytes("\"}]")];

        Assert.Equal("device", Assert.Single(EventBatchParser.Parse(bytes, Now).Errors).Field);
    }

    [Theory]
    [InlineData("\\u00a0")]
    [InlineData("\\u00e9")]
    [InlineData("\\u200b")]
    public void A_device_with_characters_just_past_the_c1_range_is_accepted(string escaped)
    {
        var result = Parse($"[{Valid.TrimEnd('}')},\"device\":\"tv{escaped}\"}}]");

        Assert.True(result.IsValid);
    }

    [Fact]
    public void A_body_with_a_leading_utf8_byte_order_mark_is_accepted()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes($"[{Valid}]")];

        var result = EventBatchParser.Parse(bytes, Now);

        Assert.True(result.IsValid);
        Assert.Single(result.Events);
    }

    [Fact]
    public void A_byte_order_mark_alone_is_an_empty_body()
    {
        Assert.Contains("empty", EventBatchParser.Parse([0xEF, 0xBB, 0xBF], Now).BodyError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_byte_order_mark_that_is_not_leading_is_not_ignored()
    {
        byte[] twice = [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes($"[{Valid}]")];
        byte[] between = [.. Encoding.UTF8.GetBytes("["), 0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes($"{Valid}]")];
        byte[] inDevice = [.. Encoding.UTF8.GetBytes($"[{Valid.TrimEnd('}')},\"device\":\""), 0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("tv\"}]")];

        Assert.NotNull(EventBatchParser.Parse(twice, Now).BodyError);
        Assert.NotNull(EventBatchParser.Parse(between, Now).BodyError);
        var inString = EventBatchParser.Parse(inDevice, Now);
        Assert.True(inString.IsValid);
        Assert.Equal("\ufefftv", inString.Events[0].Device);
    }

    [Fact]
    public void Every_broken_rule_is_listed_including_missing_fields_and_non_objects()
    {
        var result = Parse("""[{"seq":-1,"extra":{"a":[1,2]}}, 5]""");

        var fields = result.Errors.Select(e => (e.Index, e.Field)).ToHashSet();
        Assert.Contains((0, "seq"), fields);
        foreach (var f in new[] { "eventId", "memberId", "titleId", "sessionId", "type", "positionMs", "durationMs", "timestamp" })
        {
            Assert.Contains((0, f), fields);
        }

        Assert.Contains((1, ""), fields);
    }

    [Fact]
    public void Unknown_fields_and_a_null_device_are_ignored()
    {
        var result = Parse($"[{Valid.TrimEnd('}')},\"device\":null,\"future\":{{\"nested\":[true,null]}}}}]");

        Assert.True(result.IsValid);
        Assert.Null(result.Events[0].Device);
    }

    [Fact]
    public void Position_may_exceed_duration_by_at_most_a_minute()
    {
        Assert.True(Parse($"[{With("positionMs", "61000")}]").IsValid);
    }
}
