using ViewingHistory.Core.Events;
using ViewingHistory.Core.History;
using ViewingHistory.Core.Serialization;

namespace ViewingHistory.Core.Tests;

public sealed class SerializationTests
{
    [Fact]
    public void A_batch_survives_the_codec_round_trip()
    {
        var batch = new AcceptedBatch(123, [
            new PlaybackEvent("e1", "m1", "t1", "s1", 7, PlaybackEventType.Pause, 10, 20, 1_700_000_000_123, "tv-é"),
            new PlaybackEvent("e2", "m2", "t2", "s2", 0, PlaybackEventType.Stop, 0, 1, 946_684_800_000, null),
        ]);

        var decoded = EventBatchCodec.Decode(EventBatchCodec.Encode(batch));

        Assert.Equal(batch.AcceptedAtMs, decoded.AcceptedAtMs);
        Assert.Equal(batch.Events, decoded.Events);
    }

    [Fact]
    public void A_batch_without_a_trace_encodes_as_format_v1_byte_for_byte_as_before_traces()
    {
        // Hand-written v1 bytes (the format entries in existing logs have): one event, no device.
        byte[] v1 =
        [
            1, 123, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
            2, (byte)'e', (byte)'1', 2, (byte)'m', (byte)'1', 2, (byte)'t', (byte)'1', 2, (byte)'s', (byte)'1',
            7, 0, 0, 0, (byte)PlaybackEventType.Pause, 10, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0,
            255,
        ];
        var batch = new AcceptedBatch(123, [new PlaybackEvent("e1", "m1", "t1", "s1", 7, PlaybackEventType.Pause, 10, 20, 5, null)]);

        var decoded = EventBatchCodec.Decode(v1);

        Assert.Equal(batch.Events, decoded.Events);
        Assert.Equal(default, decoded.Trace);
        Assert.Equal(v1, EventBatchCodec.Encode(batch));
    }

    [Fact]
    public void A_traced_batch_carries_its_trace_context_through_the_codec_as_format_v2()
    {
        var trace = new System.Diagnostics.ActivityContext(
            System.Diagnostics.ActivityTraceId.CreateRandom(), System.Diagnostics.ActivitySpanId.CreateRandom(), System.Diagnostics.ActivityTraceFlags.Recorded);
        var batch = new AcceptedBatch(123, [new PlaybackEvent("e1", "m1", "t1", "s1", 7, PlaybackEventType.Pause, 10, 20, 5, "tv")]) { Trace = trace };

        var bytes = EventBatchCodec.Encode(batch);
        var decoded = EventBatchCodec.Decode(bytes);

        Assert.Equal(2, bytes[0]);
        Assert.Equal(EventBatchCodec.Encode(batch with { Trace = default }).Length + 25, bytes.Length);
        Assert.True(EventBatchCodec.TryReadEventCount(bytes, out var count));
        Assert.Equal(1, count);
        Assert.Equal(batch.Events, decoded.Events);
        Assert.Equal(trace.TraceId, decoded.Trace.TraceId);
        Assert.Equal(trace.SpanId, decoded.Trace.SpanId);
        Assert.Equal(trace.TraceFlags, decoded.Trace.TraceFlags);
    }

    [Fact]
    public void A_batch_encoded_into_a_larger_buffer_is_the_same_bytes_and_its_length_is_known_before()
    {
        var trace = new System.Diagnostics.ActivityContext(
            System.Diagnostics.ActivityTraceId.CreateRandom(), System.Diagnostics.ActivitySpanId.CreateRandom(), System.Diagnostics.ActivityTraceFlags.Recorded);
        foreach (var batch in new[]
        {
            new AcceptedBatch(1, []),
            new AcceptedBatch(123, [
                new PlaybackEvent("e1", "m1", "t1", "s1", 7, PlaybackEventType.Pause, 10, 20, 5, "téléviseur 📺"),
                new PlaybackEvent(new string('e', 64), "m2", "t2", "s2", 0, PlaybackEventType.Stop, 0, 1, 946_684_800_000, null),
            ]),
            new AcceptedBatch(9, [new PlaybackEvent("e1", "m1", "t1", "s1", 1, PlaybackEventType.Start, 0, 0, 5, "tv")]) { Trace = trace },
        })
        {
            var array = EventBatchCodec.Encode(batch);
            var buffer = new byte[array.Length + 100];
            Array.Fill(buffer, (byte)0xAA);

            var written = EventBatchCodec.Encode(batch, buffer);

            Assert.Equal(array.Length, EventBatchCodec.EncodedLength(batch));
            Assert.Equal(array.Length, written);
            Assert.Equal(array, buffer[..written]);
            Assert.All(buffer[written..], b => Assert.Equal(0xAA, b));
            Assert.Equal(batch.Events, EventBatchCodec.Decode(array).Events);
        }
    }

    [Fact]
    public void A_string_over_the_codecs_length_byte_is_refused_before_anything_is_written()
    {
        var batch = new AcceptedBatch(1, [new PlaybackEvent("e1", "m1", "t1", "s1", 1, PlaybackEventType.Start, 0, 0, 5, new string('é', 128))]);

        Assert.Throws<ArgumentException>(() => EventBatchCodec.EncodedLength(batch));
        Assert.Throws<ArgumentException>(() => EventBatchCodec.Encode(batch));
    }

    [Theory]
    // A v2 header cut inside its trace context.
    [InlineData(new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3 })]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 5, 65 })]
    // Regression: a batch cut right after its header threw IndexOutOfRangeException, which crashed the consumer.
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 65, 1, 66, 1, 67, 1, 68 })]
    public void Garbage_is_a_format_error(byte[] bytes)
    {
        Assert.Throws<FormatException>(() => EventBatchCodec.Decode(bytes));
    }

    [Fact]
    public void A_cursor_round_trips_and_a_tampered_one_is_refused()
    {
        var cursor = new HistoryCursor(1_700_000_000_000, "title:1");
        var text = cursor.Encode();

        Assert.True(HistoryCursor.TryDecode(text, out var back));
        Assert.Equal(cursor, back);
        Assert.False(HistoryCursor.TryDecode(text[..^2] + (text[^2] == 'A' ? "BA" : "AA"), out _));
        Assert.False(HistoryCursor.TryDecode("not-a-cursor", out _));
        Assert.False(HistoryCursor.TryDecode("", out _));
    }

    [Fact]
    public void A_cursor_of_one_list_is_refused_by_the_other()
    {
        var cursor = new HistoryCursor(1_700_000_000_000, "title:1");
        var history = cursor.Encode();
        var resume = cursor.Encode(CursorScope.ContinueWatching);

        Assert.Equal(history, cursor.Encode(CursorScope.History));
        Assert.NotEqual(history, resume);
        Assert.True(HistoryCursor.TryDecode(resume, CursorScope.ContinueWatching, out var back));
        Assert.Equal(cursor, back);
        Assert.False(HistoryCursor.TryDecode(resume, out _));
        Assert.False(HistoryCursor.TryDecode(history, CursorScope.ContinueWatching, out _));
    }

    [Theory]
    [InlineData(0, 100_000, false)]
    [InlineData(994, 100_000, false)]      // 0.0099
    [InlineData(995, 100_000, true)]       // 0.00995 rounds to 0.0100
    [InlineData(89_994, 100_000, true)]    // 0.8999
    [InlineData(89_995, 100_000, false)]   // 0.89995 rounds to 0.9000
    [InlineData(100_000, 100_000, false)]
    [InlineData(160_000, 100_000, false)]
    [InlineData(1, 1, false)]
    [InlineData(0, 1, false)]
    [InlineData(86_459_999, 86_400_000, false)]
    [InlineData(864_000, 86_400_000, true)]
    public void In_progress_means_a_rounded_progress_from_001_to_below_09(long position, long duration, bool inProgress)
    {
        Assert.Equal(inProgress, Progress.IsInProgress(position, duration));
        var basisPoints = Progress.BasisPoints(position, duration);
        Assert.Equal(basisPoints is >= 100 and < 9000, inProgress);

        Assert.Equal(inProgress, InProgressAsTheStoresSqlSaysIt(position, duration));
    }

    [Fact]
    public void The_stores_integer_predicate_agrees_with_the_rounding_for_every_position_around_both_edges()
    {
        var random = new Random(16);
        for (var i = 0; i < 200_000; i++)
        {
            var duration = random.NextInt64(1, 86_400_001);
            var edge = random.Next(3) switch { 0 => duration / 100, 1 => duration * 9 / 10, _ => random.NextInt64(duration + 60_001) };
            var position = Math.Clamp(edge + random.Next(-3, 4), 0, duration + 60_000);
            Assert.True(
                Progress.IsInProgress(position, duration) == InProgressAsTheStoresSqlSaysIt(position, duration),
                $"position {position}, duration {duration}");
        }
    }

    /// <summary><see cref="Progress.InProgressSql"/> transcribed: the stores' partial indexes and queries use that text.</summary>
    private static bool InProgressAsTheStoresSqlSaysIt(long position, long duration)
    {
        Assert.Equal("20000 * position_ms >= 199 * duration_ms AND 20000 * position_ms < 17999 * duration_ms", Progress.InProgressSql);
        return 20000 * position >= 199 * duration && 20000 * position < 17999 * duration;
    }

    [Theory]
    [InlineData("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z")]
    [InlineData("2026-01-01T00:00:00.1239999Z", "2026-01-01T00:00:00.123Z")]
    [InlineData("2026-01-01T01:30:00.5+01:30", "2026-01-01T00:00:00.500Z")]
    [InlineData("2025-12-31T23:00:00.000-01:00", "2026-01-01T00:00:00.000Z")]
    [InlineData("2026-01-01t00:00:00.000z", "2026-01-01T00:00:00.000Z")]
    public void Timestamps_accept_any_offset_and_precision_and_print_milliseconds_in_utc(string input, string output)
    {
        Assert.True(Timestamps.TryParse(input, out var ms));
        Assert.Equal(output, Timestamps.Format(ms));
    }

    [Theory]
    [InlineData(3_240_360, 7_200_000, 4501)]
    [InlineData(1, 3, 3333)]
    [InlineData(2, 3, 6667)]
    [InlineData(9, 10, 9000)]
    [InlineData(130, 100, 10000)]
    [InlineData(0, 100, 0)]
    public void Progress_rounds_half_away_from_zero_in_exact_arithmetic(long position, long duration, int basisPoints)
    {
        Assert.Equal(basisPoints, Progress.BasisPoints(position, duration));
    }
}
