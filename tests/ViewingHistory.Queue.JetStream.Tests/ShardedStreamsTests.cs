using ViewingHistory.Core.Events;
using ViewingHistory.Queue.JetStream;
using ViewingHistory.Testing.Nats;
using Xunit;
using static ViewingHistory.Queue.JetStream.Tests.TestQueues;

namespace ViewingHistory.Queue.JetStream.Tests;

/// <summary>
/// <c>Queue:Streams</c> = S on a real nats-server: batches split by the stable member hash, each event stored once in
/// its member's stream, consumers that read every stream fairly, and S changed between restarts (1 → 3 and 3 → 1)
/// without an event left behind.
/// </summary>
[Collection(NatsServerCollection.Name)]
public sealed class ShardedStreamsTests(NatsServer server)
{
    [Fact(Timeout = 60_000)]
    public async Task Members_are_split_by_the_stable_hash_and_every_event_lands_exactly_once_in_its_members_stream()
    {
        var options = Options(server.Url) with { Streams = 3 };
        await using var queue = await StartAsync(options);
        var batches = Enumerable.Range(0, 30).Select(i => MixedBatch($"split{i}", members: 12, perMember: 2)).ToList();
        foreach (var batch in batches)
        {
            await queue.AppendAsync(batch, Within(10));

            // A retried append (the device resends, the spool forwards twice) stores each part once.
            await queue.AppendAsync(batch, Within(10));
        }

        var expected = batches.SelectMany(b => b.Events).ToDictionary(e => e.EventId);
        var seen = new Dictionary<string, int>();
        for (var stream = 0; stream < 3; stream++)
        {
            // A node assigned this stream only (Queue:ConsumeStreams) reads exactly its members' events.
            await using var one = await StartAsync(options with { ConsumeStreams = stream.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            var parts = batches.Count(b => b.Events.Any(e => StreamLayout.StreamOf(e.MemberId, 3) == stream));
            var consumer = one.OpenConsumer("verify");
            var entries = await ReceiveAsync(consumer, parts, TimeSpan.FromSeconds(30));
            var extra = await consumer.ReceiveAsync(1_000, TimeSpan.FromMilliseconds(300), Within(10));
            Assert.Empty(extra.Entries);
            foreach (var e in entries.SelectMany(x => x.Batch!.Events))
            {
                Assert.Equal(StreamLayout.StreamOf(e.MemberId, 3), stream);
                Assert.Equal(expected[e.EventId], e);
                seen[e.EventId] = seen.GetValueOrDefault(e.EventId) + 1;
            }

            Assert.All(entries, x => Assert.EndsWith(":" + stream, x.Id, StringComparison.Ordinal));
        }

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), seen.Keys.Order(StringComparer.Ordinal));
        Assert.All(seen.Values, n => Assert.Equal(1, n));

        // The split uses the processors' hash: members spread over all three streams.
        Assert.Equal(3, expected.Values.Select(e => StreamLayout.StreamOf(e.MemberId, 3)).Distinct().Count());
        Assert.All(expected.Values, e => Assert.Equal(MemberHash.Partition(e.MemberId, 3), StreamLayout.StreamOf(e.MemberId, 3)));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_busy_stream_does_not_starve_the_others()
    {
        var options = Options(server.Url) with { Streams = 3 };
        await using var queue = await StartAsync(options);
        var busy = MemberOfStream(options.Streams, 0);
        var quiet = MemberOfStream(options.Streams, 2);
        for (var i = 0; i < 100; i++)
        {
            await queue.AppendAsync(OneMember($"busy{i}", busy, 10), Within(10));
        }

        await queue.AppendAsync(OneMember("quiet", quiet, 1), Within(10));
        var consumer = queue.OpenConsumer("processor");

        // A receive asks for far fewer events than the busy stream holds: it still takes the quiet stream's share.
        var delivery = await consumer.ReceiveAsync(60, TimeSpan.FromSeconds(1), Within(10));
        Assert.Contains(delivery.Entries, e => e.Batch!.Events[0].MemberId == quiet);
        Assert.InRange(delivery.EventCount, 11, 60 + 10);
        await consumer.AckAsync(delivery, Within(10));
    }

    [Fact(Timeout = 60_000)]
    public async Task Raising_streams_from_one_to_three_keeps_draining_the_old_stream_and_lowering_them_keeps_reading_the_streams_left()
    {
        var one = Options(server.Url);
        var three = one with { Streams = 3 };
        var before = Enumerable.Range(0, 10).Select(i => MixedBatch($"up{i}", members: 9, perMember: 1)).ToList();
        await using (var old = await StartAsync(one))
        {
            foreach (var batch in before)
            {
                await old.AppendAsync(batch, Within(10));
            }
        }

        // Restarted with three streams: the old stream is stream 0, so what it holds is read with the new streams.
        var during = Enumerable.Range(0, 10).Select(i => MixedBatch($"mid{i}", members: 9, perMember: 1)).ToList();
        await using (var upgraded = await StartAsync(three))
        {
            Assert.Equal([one.StreamName, three.StreamNameOf(1), three.StreamNameOf(2)], upgraded.ConsumedStreams);
            foreach (var batch in during)
            {
                await upgraded.AppendAsync(batch, Within(10));
            }

            var ids = await ReceiveEventIdsAsync(upgraded.OpenConsumer("processor"), [.. before, .. during]);
            Assert.Equal(ids.Expected, ids.Seen);
        }

        // Back to one stream: streams 1 and 2 are no longer written, and are still read by every node.
        var after = Enumerable.Range(0, 5).Select(i => MixedBatch($"down{i}", members: 9, perMember: 1)).ToList();
        await using (var upgraded = await StartAsync(three))
        {
            foreach (var batch in after)
            {
                await upgraded.AppendAsync(batch, Within(10));
            }
        }

        await using var lowered = await StartAsync(one);
        Assert.Equal([one.StreamName, three.StreamNameOf(1), three.StreamNameOf(2)], lowered.ConsumedStreams);
        var consumer = lowered.OpenConsumer("processor");
        var rest = await ReceiveEventIdsAsync(consumer, after);
        Assert.Equal(rest.Expected, rest.Seen);

        // Once drained, an operator deletes a stream left past S: the node stays reachable and reads on.
        await using (var raw = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = server.Url }))
        {
            await new NATS.Client.JetStream.NatsJSContext(raw).DeleteStreamAsync(three.StreamNameOf(2), Within(10));
        }

        await lowered.AppendAsync(MixedBatch("last", members: 9, perMember: 1), Within(10));
        Assert.True(await lowered.IsReachableAsync(Within(10)));
        var last = await ReceiveEventIdsAsync(consumer, [MixedBatch("last", members: 9, perMember: 1)]);
        Assert.Equal(last.Expected, last.Seen);
    }

    [Fact]
    public void Streams_and_consume_streams_out_of_range_are_refused_with_their_reason()
    {
        var options = new JetStreamQueueOptions();
        Assert.Null(options.FindProblem());
        Assert.Null((options with { Streams = 64, ConsumeStreams = "0, 63" }).FindProblem());
        Assert.Contains("Streams must be in 1..64", (options with { Streams = 0 }).FindProblem(), StringComparison.Ordinal);
        Assert.Contains("Streams must be in 1..64", (options with { Streams = 65 }).FindProblem(), StringComparison.Ordinal);
        Assert.Contains("'3' is not one", (options with { Streams = 3, ConsumeStreams = "0,3" }).FindProblem(), StringComparison.Ordinal);
        Assert.Contains("'x' is not one", (options with { Streams = 3, ConsumeStreams = "x" }).FindProblem(), StringComparison.Ordinal);
        Assert.Contains("'' is not one", (options with { Streams = 3, ConsumeStreams = "0,,1" }).FindProblem(), StringComparison.Ordinal);
        Assert.Equal([0, 2], StreamLayout.ParseConsumeStreams(" 2,0,2 ", 3, out _));
        Assert.Equal("VH_EVENTS", options.StreamNameOf(0));
        Assert.Equal("VH_EVENTS_7", options.StreamNameOf(7));
        Assert.Equal(7, StreamLayout.IndexOf("VH_EVENTS", "VH_EVENTS_7"));
        Assert.Equal(-1, StreamLayout.IndexOf("VH_EVENTS", "VH_EVENTS_DLQ"));
        Assert.Equal(-1, StreamLayout.IndexOf("VH_EVENTS", "VH_EVENTS_07"));
    }

    /// <summary>Receives and acknowledges until every event of <paramref name="batches"/> came; both sets sorted.</summary>
    private static async Task<(List<string> Expected, List<string> Seen)> ReceiveEventIdsAsync(IQueueConsumer consumer, IReadOnlyList<AcceptedBatch> batches)
    {
        var expected = batches.SelectMany(b => b.Events).Select(e => e.EventId).Order(StringComparer.Ordinal).ToList();
        var seen = new HashSet<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (seen.Count < expected.Count)
        {
            try
            {
                var delivery = await consumer.ReceiveAsync(1_000, TimeSpan.FromSeconds(1), cts.Token);
                seen.UnionWith(delivery.Entries.SelectMany(e => e.Batch!.Events).Select(e => e.EventId));
                await consumer.AckAsync(delivery, cts.Token);
            }
            catch (QueueUnavailableException)
            {
                // Transient, as a processor treats it (a deleted stream is found gone on the next receive).
                await Task.Delay(100, cts.Token);
            }
        }

        return (expected, [.. seen.Order(StringComparer.Ordinal)]);
    }

    private static AcceptedBatch MixedBatch(string prefix, int members, int perMember)
    {
        var list = new List<PlaybackEvent>();
        for (var m = 0; m < members; m++)
        {
            for (var i = 0; i < perMember; i++)
            {
                list.Add(new PlaybackEvent(
                    $"{prefix}-m{m}-e{i}", $"{prefix}-member-{m}", "title-1", $"{prefix}-m{m}-s", i, PlaybackEventType.Progress,
                    i * 1_000L, 7_200_000L, 1_790_000_000_000L + i, null));
            }
        }

        return new AcceptedBatch(1_790_000_000_000L, list);
    }

    private static AcceptedBatch OneMember(string prefix, string member, int events) =>
        new(1_790_000_000_000L, [.. Enumerable.Range(0, events).Select(i => new PlaybackEvent(
            $"{prefix}-e{i}", member, "title-1", $"{prefix}-s", i, PlaybackEventType.Progress, i * 1_000L, 7_200_000L, 1_790_000_000_000L + i, null))]);

    private static string MemberOfStream(int streams, int stream) =>
        Enumerable.Range(0, 1_000).Select(i => $"member-{i}").First(m => StreamLayout.StreamOf(m, streams) == stream);
}
